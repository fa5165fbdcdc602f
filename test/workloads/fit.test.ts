import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import { fitWorkload } from '../../workloads/fit.js';
import { generateTrace } from '../../workloads/generate.js';
import { KvtierTraceReader } from '../../workloads/kvtier-trace.js';
import { SyntheticWorkload, type SyntheticWorkloadInput } from '../../workloads/synthetic.js';
import { collectTraceStats, type TraceStats } from '../../workloads/trace-stats.js';
import { KvtierTraceWriter } from '../../workloads/trace-writer.js';
import { openTrace, type TraceFormat } from '../../workloads/traces.js';

// The first 400 rows of BurstGPT_3.csv (HPMLL/BurstGPT v2.0, CC-BY-4.0), and the Mooncake FAST'25
// conversation trace (kvcache-ai/Mooncake, Apache-2.0), whose every prompt opens with block 0.
const burstPath = fileURLToPath(new URL('../fixtures/traces/burstgpt3_first400.csv', import.meta.url));
const mooncakePath = fileURLToPath(new URL('../../workloads/data/mooncake_conversation_trace.jsonl', import.meta.url));

const directory = mkdtempSync(join(tmpdir(), 'kvtier-fit-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let fileCount = 0;

function statsOf(path: string, format: TraceFormat) {
  return collectTraceStats(openTrace(path, format), { format, recordedBlockIds: format !== 'burstgpt' });
}

/** Generates `input` as a kvtier trace and returns its statistics. */
function regenerate(input: SyntheticWorkloadInput, seed: number): TraceStats {
  const path = join(directory, `trace-${fileCount++}.jsonl`);
  const workload = new SyntheticWorkload(input, seed);
  const writer = new KvtierTraceWriter(path, workload.blockTokens, { sessions: true });
  generateTrace(workload, writer);
  writer.close();
  return collectTraceStats(new KvtierTraceReader(path), { format: 'kvtier', recordedBlockIds: true }).stats;
}

/** Checks the quantities a fit must reproduce within 10%. */
function expectWithinTenPercent(regenerated: TraceStats, original: TraceStats): void {
  const pairs: [string, number, number][] = [
    ['request rate', regenerated.requestRatePerSec, original.requestRatePerSec],
    ['input p50', regenerated.inputTokens.p50, original.inputTokens.p50],
    ['input p90', regenerated.inputTokens.p90, original.inputTokens.p90],
    ['output p50', regenerated.outputTokens.p50, original.outputTokens.p50],
    ['output p90', regenerated.outputTokens.p90, original.outputTokens.p90],
    ['think p50', regenerated.sessions!.thinkTimeSec.p50, original.sessions!.thinkTimeSec.p50],
    ['think p90', regenerated.sessions!.thinkTimeSec.p90, original.sessions!.thinkTimeSec.p90],
  ];
  for (const [name, actual, expected] of pairs) {
    expect(Math.abs(actual / expected - 1), `${name}: ${actual} against ${expected}`).toBeLessThan(0.1);
  }
}

describe('fitWorkload', () => {
  it('reproduces the BurstGPT slice', () => {
    const { stats, turns } = statsOf(burstPath, 'burstgpt');
    const fitted = fitWorkload(stats, turns);
    expect(fitted.sessionRatePerSec).toBeCloseTo(135 / 41_453, 12);
    expect(fitted.durationSec).toBe(41_453);
    // 71 of the 259 later prompts are shorter than the previous prompt and response, so prompts
    // are fitted whole.
    expect(turns.shrinkingTurns).toBe(71);
    expect(fitted.turnInputTokens?.kind).toBe('empirical');
    expect(fitted.promptTokens).toBeUndefined();
    // 135 sessions are few, so the check regenerates 30 spans of the trace to average out the
    // sampling noise of the rate and the think-time tail.
    const regenerated = regenerate({ ...fitted, durationSec: 30 * 41_453, sessions: 100_000 }, 1);
    expectWithinTenPercent(regenerated, stats);
  });

  it('recovers a generated trace with known parameters', () => {
    const known: SyntheticWorkloadInput = {
      sessions: 1_000_000,
      sessionRatePerSec: 0.2,
      durationSec: 40_000,
      arrivalCv: 1.5,
      turns: { kind: 'geometric', mean: 4 },
      promptTokens: { kind: 'lognormal', median: 150, p90: 600 },
      responseTokens: { kind: 'lognormal', median: 200, p90: 700 },
      thinkTimeSec: { kind: 'lognormal', median: 60, p90: 600 },
      systemPromptTokens: 500,
    };
    const path = join(directory, 'known.jsonl');
    const workload = new SyntheticWorkload(known, 21);
    const writer = new KvtierTraceWriter(path, workload.blockTokens, { sessions: true });
    generateTrace(workload, writer);
    writer.close();

    const { stats, turns } = statsOf(path, 'kvtier');
    const fitted = fitWorkload(stats, turns);
    expect(turns.shrinkingTurns).toBe(0);
    expect(fitted.promptTokens?.kind).toBe('empirical');
    // 500 system tokens fill one shared 256-token block.
    expect(fitted.systemPromptTokens).toBe(256);
    expect(Math.abs(fitted.arrivalCv! / 1.5 - 1)).toBeLessThan(0.1);
    expect(Math.abs(fitted.sessionRatePerSec! / 0.2 - 1)).toBeLessThan(0.1);
    expectWithinTenPercent(regenerate(fitted, 22), stats);
  });

  it('finds the shared Mooncake system block', () => {
    const { stats, turns } = statsOf(mooncakePath, 'mooncake');
    const fitted = fitWorkload(stats, turns);
    expect(fitted.systemPromptTokens).toBe(512);
    expect(fitted.blockTokens).toBe(512);
    // kvtier assigns BurstGPT block ids, so they carry no evidence of a shared prompt.
    const burst = statsOf(burstPath, 'burstgpt');
    expect(fitWorkload(burst.stats, burst.turns).systemPromptTokens).toBe(0);
  });

  it('rejects a trace of one request', () => {
    const { stats, turns } = statsOf(burstPath, 'burstgpt');
    expect(() => fitWorkload({ ...stats, requests: 1, spanSec: 0 }, turns)).toThrow(/needs at least two requests/);
  });
});
