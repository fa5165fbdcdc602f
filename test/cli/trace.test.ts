import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { beforeAll, describe, expect, it } from 'vitest';

import { buildRunScenario } from '../../cli/run.js';
import { formatWorkloadJson, generateConfigOf, renderTraceStats, runGenerate, traceFitOf, traceStatsOf } from '../../cli/trace.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/cli/main.js');
// Traces and their sources: workloads/data/README.md and test/fixtures/traces/README.md.
const mooncake = join(root, 'workloads/data/mooncake_conversation_trace.jsonl');
const burstgpt = join(root, 'test/fixtures/traces/burstgpt3_first400.csv');
const azure = join(root, 'test/fixtures/traces/azure2023_conv.csv');

function kvtier(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8' });
}

beforeAll(() => {
  // The spawned tests run the compiled CLI; `npm test` builds it first.
  expect(existsSync(cli), `${cli} is missing: run npm run build`).toBe(true);
});

describe('trace stats in process', () => {
  it('detects the format and renders text', () => {
    const stats = traceStatsOf({ file: burstgpt });
    expect(stats.format).toBe('burstgpt');
    const text = renderTraceStats(stats);
    expect(text).toMatch(/^sessions +135 \(given\)/m);
    expect(text).toMatch(/^think time \(s\) +mean 528\.8, p10\/p50\/p90\/p99 18 \/ 116 \/ 1,372 \/ 5,187, max 8,859$/m);
  });

  it('skips bad lines when asked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvtier-stats-'));
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, '{"timestamp":0,"input_length":10,"output_length":2,"hash_ids":[1]}\nnot json\n{"timestamp":5,"input_length":600,"output_length":2,"hash_ids":[1,2]}\n');
    expect(() => traceStatsOf({ file, format: 'mooncake' })).toThrow(/bad\.jsonl, line 2: invalid JSON/);
    const stats = traceStatsOf({ file, format: 'mooncake', 'skip-bad': true });
    expect(stats.requests).toBe(2);
    expect(stats.skippedLines).toBe(1);
    expect(renderTraceStats(stats)).toMatch(/^skipped lines +1$/m);
  });
});

describe('trace generate and fit in process', () => {
  it('uses 512-token blocks for Mooncake output', () => {
    expect(generateConfigOf({ preset: 'chat', out: 'x' }).blockTokens).toBe(512);
    expect(generateConfigOf({ preset: 'chat', out: 'x', format: 'kvtier' }).blockTokens).toBeUndefined();
    expect(generateConfigOf({ preset: 'api', out: 'x', sessions: 7 }).sessions).toBe(7);
  });

  it('needs exactly one of preset and workload', () => {
    expect(() => generateConfigOf({ out: 'x' })).toThrow(/give either --preset/);
  });

  it('writes a fit that kvtier run --workload accepts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvtier-fit-'));
    const file = join(dir, 'workload.json');
    writeFileSync(file, formatWorkloadJson(traceFitOf({ file: burstgpt })));
    const scenario = buildRunScenario({ workload: file, sessions: 40 });
    expect(scenario.workload.kind).toBe('synthetic');
    if (scenario.workload.kind !== 'synthetic') return;
    expect(scenario.workload.sessions).toBe(40);
    expect(scenario.workload.durationSec).toBe(41_453);
    expect(scenario.workload.turnInputTokens?.kind).toBe('empirical');
  });

  it('generates a file from a fitted workload', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvtier-generate-'));
    const workload = join(dir, 'workload.json');
    writeFileSync(workload, JSON.stringify(traceFitOf({ file: azure })));
    const out = join(dir, 'azure-like.jsonl');
    const requests = runGenerate({ workload, out, format: 'mooncake', seed: 3 });
    expect(requests).toBeGreaterThan(15_000);
    expect(traceStatsOf({ file: out }).requests).toBe(requests);
  });
});

describe('run with the new trace formats', () => {
  it('maps --trace and --replay to the workload', () => {
    const scenario = buildRunScenario({ trace: burstgpt, format: 'burstgpt', replay: 'closed' });
    expect(scenario.workload).toEqual({ kind: 'burstgpt', path: burstgpt, blockTokens: 256, replay: 'closed', sessionGapSec: 86_400 });
    expect(buildRunScenario({ trace: azure, format: 'azure' }).workload).toEqual({ kind: 'azure', path: azure, blockTokens: 256, sharedPrefixTokens: 0 });
  });

  it('rejects --workload with --trace', () => {
    expect(() => buildRunScenario({ trace: azure, workload: 'w.json' })).toThrow(/--workload and --trace both set the workload/);
  });
});

describe('kvtier trace', () => {
  it('stats --json pins the Mooncake figures', () => {
    const result = kvtier('trace', 'stats', mooncake, '--json');
    expect(result.status, result.stderr).toBe(0);
    const stats = JSON.parse(result.stdout);
    expect(stats.requests).toBe(12_031);
    expect(Math.round(stats.inputTokens.mean)).toBe(12_035);
    expect(Math.round(stats.outputTokens.mean)).toBe(343);
    expect(stats.blockReferences).toBe(288_500);
    expect(stats.uniqueBlocks).toBe(182_790);
  });

  it('stats --json pins the BurstGPT figures', () => {
    const result = kvtier('trace', 'stats', burstgpt, '--format', 'burstgpt', '--json');
    expect(result.status, result.stderr).toBe(0);
    const stats = JSON.parse(result.stdout);
    expect(stats.sessions.count).toBe(135);
    expect(stats.sessions.thinkTimeSec.p50).toBe(116);
  });

  it('exits 2 naming the file, line and field of a bad line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvtier-bad-'));
    const file = join(dir, 'bad.csv');
    writeFileSync(file, 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,374,44\n2023-11-16 18:15:47,374,-3\n');
    const result = kvtier('trace', 'stats', file);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${file}, line 3: column "GeneratedTokens" is "-3", expected a non-negative integer`);
    const skipped = kvtier('trace', 'stats', file, '--skip-bad');
    expect(skipped.status, skipped.stderr).toBe(0);
    expect(skipped.stdout).toMatch(/^skipped lines +1$/m);
  });

  it('generate, fit and run --workload chain together', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvtier-chain-'));
    const trace = join(dir, 'agent.jsonl');
    const generated = kvtier('trace', 'generate', '--preset', 'agent', '--sessions', '30', '--format', 'kvtier', '--out', trace);
    expect(generated.status, generated.stderr).toBe(0);
    expect(generated.stdout).toMatch(/requests -> /);
    const workload = join(dir, 'workload.json');
    const fitted = kvtier('trace', 'fit', trace, '--out', workload);
    expect(fitted.status, fitted.stderr).toBe(0);
    const out = join(dir, 'run');
    const run = kvtier('run', '--workload', workload, '--sessions', '20', '--out', out, '--quiet');
    expect(run.status, run.stderr).toBe(0);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.workload.kind).toBe('synthetic');
    expect(config.workload.sessions).toBe(20);
  });

  it('replays BurstGPT closed-loop in kvtier run', () => {
    const out = mkdtempSync(join(tmpdir(), 'kvtier-burstgpt-'));
    const result = kvtier('run', '--trace', burstgpt, '--format', 'burstgpt', '--replay', 'closed', '--out', out, '--quiet');
    expect(result.status, result.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.requests.arrived).toBe(400);
    expect(summary.requests.completed).toBe(400);
  });

  it('replays a generated kvtier trace in kvtier run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvtier-kvtier-'));
    const trace = join(dir, 'lmsys.jsonl');
    expect(kvtier('trace', 'generate', '--preset', 'lmsys', '--sessions', '50', '--format', 'kvtier', '--block-tokens', '128', '--out', trace).status).toBe(0);
    const out = join(dir, 'run');
    const result = kvtier('run', '--trace', trace, '--format', 'kvtier', '--replay', 'closed', '--out', out, '--quiet');
    expect(result.status, result.stderr).toBe(0);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.workload.blockTokens).toBe(128);
  });
});
