import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { createSampler } from '../../workloads/distributions.js';
import { generateTrace } from '../../workloads/generate.js';
import { KvtierTraceReader } from '../../workloads/kvtier-trace.js';
import { MooncakeTraceReader } from '../../workloads/mooncake.js';
import { WORKLOAD_PRESETS } from '../../workloads/presets.js';
import { createRng } from '../../workloads/random.js';
import type { RequestRecord } from '../../workloads/request.js';
import { SyntheticWorkload, type SyntheticWorkloadInput } from '../../workloads/synthetic.js';
import { computeTraceStats } from '../../workloads/trace-stats.js';
import { KvtierTraceWriter, MooncakeTraceWriter, type TraceWriter } from '../../workloads/trace-writer.js';

const directory = mkdtempSync(join(tmpdir(), 'kvtier-generate-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

interface Row {
  arrivalAt: number;
  sessionId: number;
  turn: number;
  tenant: number;
  inputTokens: number;
  promptBlockIds: number[];
}

/** A writer that keeps plain copies of the records. */
class MemoryWriter implements TraceWriter {
  readonly rows: Row[] = [];
  write(record: RequestRecord): void {
    this.rows.push({
      arrivalAt: record.arrivalAt,
      sessionId: record.sessionId,
      turn: record.turn,
      tenant: record.tenant,
      inputTokens: record.inputTokens,
      promptBlockIds: Array.from(record.promptBlockIds.subarray(0, record.promptBlockCount)),
    });
  }
  close(): void {}
  abort(): void {}
}

function generate(input: SyntheticWorkloadInput, seed = 1): Row[] {
  const writer = new MemoryWriter();
  generateTrace(new SyntheticWorkload(input, seed), writer);
  return writer.rows;
}

function coefficientOfVariation(values: number[]): number {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
  return Math.sqrt(variance) / mean;
}

function startGaps(rows: Row[]): number[] {
  const starts = rows.filter((row) => row.turn === 0).map((row) => row.arrivalAt);
  return starts.slice(1).map((at, index) => at - starts[index]);
}

const single: SyntheticWorkloadInput = { turns: { kind: 'constant', value: 1 }, systemPromptTokens: 0 };

describe('generateTrace', () => {
  it('writes requests in arrival order', () => {
    const rows = generate({ sessions: 500, sessionRatePerSec: 2 });
    expect(rows.length).toBeGreaterThan(500);
    for (let index = 1; index < rows.length; index++) expect(rows[index].arrivalAt).toBeGreaterThanOrEqual(rows[index - 1].arrivalAt);
  });

  it('gives every preset a valid workload', () => {
    for (const preset of WORKLOAD_PRESETS) {
      const rows = generate({ ...preset.workload, sessions: 50 });
      expect(rows.filter((row) => row.turn === 0).length, preset.name).toBe(50);
    }
  });
});

describe('session arrivals', () => {
  it('are Poisson by default', () => {
    const cv = coefficientOfVariation(startGaps(generate({ ...single, sessions: 20_000 })));
    expect(Math.abs(cv - 1)).toBeLessThan(0.05);
  });

  it('follow the gamma coefficient of variation', () => {
    const cv = coefficientOfVariation(startGaps(generate({ ...single, sessions: 20_000, arrivalCv: 3 })));
    expect(Math.abs(cv - 3) / 3).toBeLessThan(0.1);
  });

  it('follow the diurnal curve', () => {
    // No starts from hour 0 to 5, rate 1 from 6 to 17, rate 3 from 18 to 23.
    const hourlyWeights = [...Array(6).fill(0), ...Array(12).fill(1), ...Array(6).fill(3)];
    const rows = generate({ ...single, sessions: 1_000_000, sessionRatePerSec: 0.5, durationSec: 10 * 86_400, diurnal: { hourlyWeights } });
    const perHour = new Array<number>(24).fill(0);
    for (const row of rows) perHour[Math.floor(row.arrivalAt / 3.6e12) % 24]++;
    expect(perHour.slice(0, 6)).toEqual([0, 0, 0, 0, 0, 0]);
    const day = perHour.slice(6, 18).reduce((sum, count) => sum + count, 0) / 12;
    const evening = perHour.slice(18).reduce((sum, count) => sum + count, 0) / 6;
    expect(Math.abs(evening / day - 3)).toBeLessThan(0.3);
    // The mean rate stays sessionRatePerSec: 0.5 per second over 10 days.
    expect(Math.abs(rows.length / 432_000 - 1)).toBeLessThan(0.03);
  });

  it('stop at durationSec', () => {
    const rows = generate({ sessions: 100_000, sessionRatePerSec: 1, durationSec: 600 });
    expect(rows.length).toBeGreaterThan(500);
    expect(Math.max(...rows.map((row) => row.arrivalAt))).toBeLessThanOrEqual(600e9);
  });
});

describe('prefix groups and tenants', () => {
  it('draw system prompts by popularity', () => {
    const rows = generate({
      ...single,
      sessions: 8000,
      blockTokens: 256,
      systemPrompts: [
        { tokens: 1024, weight: 3 },
        { tokens: 512, weight: 1 },
      ],
    });
    const firstIds = new Map<number, number>();
    for (const row of rows) firstIds.set(row.promptBlockIds[0], (firstIds.get(row.promptBlockIds[0]) ?? 0) + 1);
    const counts = [...firstIds.values()].sort((a, b) => b - a);
    // Two shared first blocks, one per group, in proportion 3 : 1.
    expect(counts[0] + counts[1]).toBe(8000);
    expect(Math.abs(counts[0] / 8000 - 0.75)).toBeLessThan(0.02);
    const large = rows.find((row) => firstIds.get(row.promptBlockIds[0]) === counts[0])!;
    expect(large.inputTokens).toBeGreaterThan(1024);
  });

  it('assign tenants by weight', () => {
    const rows = generate({ ...single, sessions: 8000, tenantWeights: [1, 1, 2] });
    const shares = [0, 1, 2].map((tenant) => rows.filter((row) => row.tenant === tenant).length / rows.length);
    expect(Math.abs(shares[0] - 0.25)).toBeLessThan(0.02);
    expect(Math.abs(shares[2] - 0.5)).toBeLessThan(0.02);
  });
});

describe('turn lengths', () => {
  it('use firstPromptTokens on turn 0 only', () => {
    const rows = generate({
      sessions: 20,
      systemPromptTokens: 0,
      turns: { kind: 'constant', value: 2 },
      firstPromptTokens: { kind: 'constant', value: 5000 },
      promptTokens: { kind: 'constant', value: 10 },
      responseTokens: { kind: 'constant', value: 20 },
    });
    for (const row of rows) expect(row.inputTokens).toBe(row.turn === 0 ? 5000 : 5030);
  });

  it('draw whole prompts with turnInputTokens', () => {
    const rows = generate({
      sessions: 20,
      systemPromptTokens: 0,
      blockTokens: 100,
      turns: { kind: 'constant', value: 2 },
      firstPromptTokens: { kind: 'constant', value: 1000 },
      turnInputTokens: { kind: 'constant', value: 450 },
      responseTokens: { kind: 'constant', value: 20 },
    });
    for (const session of [0, 7]) {
      const [first, second] = rows.filter((row) => row.sessionId === session);
      expect(second.inputTokens).toBe(450);
      // The shorter prompt keeps the first 4 full blocks of the previous context.
      expect(second.promptBlockIds.slice(0, 4)).toEqual(first.promptBlockIds.slice(0, 4));
      expect(second.promptBlockIds[4]).not.toBe(first.promptBlockIds[4]);
    }
  });
});

describe('zipf distribution', () => {
  it('draws 1 with probability 1 / H(n)', () => {
    const draw = createSampler({ kind: 'zipf', n: 10, exponent: 1 }, createRng(3, 'zipf'));
    let ones = 0;
    for (let index = 0; index < 100_000; index++) if (draw() === 1) ones++;
    const harmonic = Array.from({ length: 10 }, (_unused, index) => 1 / (index + 1)).reduce((sum, value) => sum + value, 0);
    expect(Math.abs(ones / 100_000 - 1 / harmonic)).toBeLessThan(0.005);
  });
});

describe('written traces', () => {
  it('Mooncake output has one id per 512 tokens and the prefix property', () => {
    const path = join(directory, 'chat.jsonl');
    const workload = new SyntheticWorkload({ sessions: 400, sessionRatePerSec: 2, blockTokens: 512 }, 5);
    const writer = new MooncakeTraceWriter(path);
    generateTrace(workload, writer);
    writer.close();

    const lines = readFileSync(path, 'utf8').trim().split('\n');
    const parentOf = new Map<number, number>();
    for (const line of lines) {
      const { input_length: inputLength, hash_ids: hashIds } = JSON.parse(line) as { input_length: number; hash_ids: number[] };
      expect(hashIds.length).toBe(Math.ceil(inputLength / 512));
      // Prefix property: an id always follows the same id, so it stands for its whole prefix.
      hashIds.forEach((id, index) => {
        const parent = index === 0 ? -1 : hashIds[index - 1];
        expect(parentOf.get(id) ?? parent).toBe(parent);
        parentOf.set(id, parent);
      });
    }
    // The Mooncake reader accepts the file.
    const reader = new MooncakeTraceReader(path);
    const stats = computeTraceStats(reader, { format: 'mooncake', recordedBlockIds: true });
    expect(stats.requests).toBe(lines.length);
  });

  it('kvtier output reads back with the generated statistics', () => {
    const path = join(directory, 'chat-kvtier.jsonl');
    // The chat defaults: geometric turns with mean 4.8, responses lognormal (median 101, p90 435),
    // think times lognormal (median 116 s, p90 1,372 s).
    const workload = new SyntheticWorkload({ sessions: 4000, sessionRatePerSec: 0.5 }, 11);
    const writer = new KvtierTraceWriter(path, workload.blockTokens, { sessions: true });
    const requests = generateTrace(workload, writer);
    writer.close();

    const stats = computeTraceStats(new KvtierTraceReader(path), { format: 'kvtier', recordedBlockIds: true });
    expect(stats.requests).toBe(requests);
    expect(stats.sessions?.source).toBe('given');
    expect(stats.sessions?.count).toBe(4000);
    const within = (actual: number, expected: number, tolerance: number) => expect(Math.abs(actual / expected - 1)).toBeLessThan(tolerance);
    within(stats.sessions!.turnsPerSession.mean, 4.8, 0.05);
    within(stats.outputTokens.p50, 101, 0.05);
    within(stats.outputTokens.p90, 435, 0.05);
    within(stats.sessions!.thinkTimeSec.p50, 116, 0.08);
    within(stats.sessions!.thinkTimeSec.p90, 1372, 0.08);
    within(stats.sessions!.sessionInterArrivalCv, 1, 0.05);
  });
});
