import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EvictionPolicy } from '../../policies/policy.js';
import { getPolicy, registerPolicy } from '../../policies/registry.js';
import type { RequestOutcome } from '../../results/request-log.js';
import { buildSummary, type RunSummary } from '../../results/summary.js';
import { SAMPLE_INTERVAL_NS } from '../../results/timeseries.js';
import { DEFAULT_SCENARIO } from '../../sim/default-scenario.js';
import { collectRunFacts, runScenario, type RunOptions, type RunResult } from '../../sim/run.js';
import { mergeScenario, parseScenario } from '../../sim/scenario.js';

function example(name: string): unknown {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../../examples/${name}`, import.meta.url)), 'utf8'));
}

function run(base: unknown, overrides: object = {}, options: RunOptions = {}): { result: RunResult; summary: RunSummary } {
  const scenario = parseScenario(mergeScenario(mergeScenario(DEFAULT_SCENARIO, base), overrides), 'test');
  const result = runScenario(scenario, options);
  return { result, summary: buildSummary(collectRunFacts(result, 'test')) };
}

describe('load rule', () => {
  const loadOrRecompute = example('load-or-recompute.json');

  it('recomputes and wins over a slow QLC drive', () => {
    const always = run(loadOrRecompute, { loadRule: 'always' }).summary;
    const cheaper = run(loadOrRecompute, { loadRule: 'cheaper' }).summary;
    expect(cheaper.present.recomputedByLoadRule).toBeGreaterThan(0);
    expect(cheaper.ttftBySource.recomputed.requests).toBeGreaterThan(0);
    expect(cheaper.ttftMs.p50 as number).toBeLessThan(0.9 * (always.ttftMs.p50 as number));
  });

  it('loads and wins over the PBlaze7 7A40', () => {
    const fast = { tiers: { ssd: { device: 'pblaze7-7a40' } } };
    const always = run(loadOrRecompute, { ...fast, loadRule: 'always' }).summary;
    const cheaper = run(loadOrRecompute, { ...fast, loadRule: 'cheaper' }).summary;
    const never = run(loadOrRecompute, { ...fast, loadRule: 'never' }).summary;
    expect(always.hitRate.tokens.ssd).toBeGreaterThan(0.5);
    expect(always.ttftMs.p50 as number).toBeLessThan(0.8 * (never.ttftMs.p50 as number));
    expect(cheaper.ttftMs.p50 as number).toBeLessThan(0.8 * (never.ttftMs.p50 as number));
  });
});

describe('TTFT breakdown', () => {
  it('adds up to TTFT for every request', () => {
    const outcomes: RequestOutcome[] = [];
    run({ workload: { sessions: 60 }, tiers: { gpu: { capacity: '2GB' }, dram: { capacity: '8GB' } } }, {}, { requestLog: (outcome) => outcomes.push({ ...outcome }) });
    expect(outcomes.length).toBeGreaterThan(60);
    for (const outcome of outcomes) {
      const parts = outcome.queueNs + outcome.loadNs + outcome.gpuWaitNs + outcome.computeNs;
      expect(Math.abs(parts - outcome.ttftNs)).toBeLessThan(1e-6);
      expect(outcome.queueNs).toBeGreaterThanOrEqual(0);
      expect(outcome.loadNs).toBeGreaterThanOrEqual(0);
      expect(outcome.gpuWaitNs).toBeGreaterThanOrEqual(0);
      expect(outcome.computeNs).toBeGreaterThan(0);
    }
    expect(outcomes.some((outcome) => outcome.loadNs > 0)).toBe(true);
  });

  it('counts requests by prefix source', () => {
    const { summary } = run({ workload: { sessions: 60 }, tiers: { gpu: { capacity: '2GB' }, dram: { capacity: '8GB' } } });
    const bySource = Object.values(summary.ttftBySource).reduce((sum, stats) => sum + stats.requests, 0);
    expect(bySource).toBe(summary.requests.completed);
    expect(summary.ttftBySource.ssd.requests).toBeGreaterThan(0);
    expect(summary.ttftBySource.dram.requests).toBeGreaterThan(0);
  });
});

describe('serving options', () => {
  const loadHeavy = { workload: { sessions: 80 }, tiers: { gpu: { capacity: '1GB' }, dram: { enabled: false } }, loadRule: 'always' };

  it('layer-wise overlap shortens TTFT when loads are long', () => {
    const none = run(loadHeavy, { overlap: 'none' }).summary;
    const layerwise = run(loadHeavy, { overlap: 'layerwise' }).summary;
    expect(layerwise.ttftMs.mean as number).toBeLessThan(none.ttftMs.mean as number);
    expect(layerwise.ttftPartsMs.load.mean as number).toBeLessThan(none.ttftPartsMs.load.mean as number);
  });

  it('GPU-direct storage skips the host link for SSD loads', () => {
    const viaHost = run(loadHeavy, { overlap: 'none' }).result;
    const direct = run(loadHeavy, { overlap: 'none', tiers: { ssd: { gpuDirect: true } } }).result;
    expect(direct.recorder.loadedBytes[2]).toBeGreaterThan(0);
    // Host-to-device link traffic: none from SSD loads with GPU-direct, all of it without.
    expect(direct.link.bytes[0]).toBe(0);
    expect(viaHost.link.bytes[0]).toBe(viaHost.recorder.loadedBytes[2]);
  });

  it('chunked prefill bounds the decode stall', () => {
    const busy = { workload: { sessions: 300, sessionRatePerSec: 20, systemPromptTokens: 4000 } };
    const whole = run(busy).summary;
    const chunked = run(busy, { scheduler: { chunkTokens: 1024 } }).summary;
    expect(chunked.requests.completed).toBe(chunked.requests.arrived);
    // A step prefills at most 1,024 tokens, so no decoding request waits for a whole long prompt.
    expect(chunked.gpu.maxStepMs).toBeLessThan(0.5 * whole.gpu.maxStepMs);
  });

  it('measures SLO attainment against the targets', () => {
    const outcomes: RequestOutcome[] = [];
    const { summary } = run({ workload: { sessions: 50 } }, { slo: { ttftMs: 100, tpotMs: 20 } }, { requestLog: (outcome) => outcomes.push({ ...outcome }) });
    const ttftMet = outcomes.filter((outcome) => outcome.ttftNs <= 100e6).length;
    const bothMet = outcomes.filter((outcome) => outcome.ttftNs <= 100e6 && outcome.tpotNs <= 20e6).length;
    expect(summary.slo.ttftAttainment).toBe(ttftMet / outcomes.length);
    expect(summary.slo.attainment).toBe(bothMet / outcomes.length);
    expect(summary.slo.ttftAttainment).toBeGreaterThan(0);
    expect(summary.slo.ttftAttainment).toBeLessThan(1);
  });
});

describe('time series', () => {
  it('has one row per simulated minute and every arrival', () => {
    const { result, summary } = run({ workload: { sessions: 40 } });
    const rows = result.timeSeries!.rows;
    expect(rows.length).toBe(Math.floor(result.recorder.endAt / SAMPLE_INTERVAL_NS) + 1);
    expect(rows.reduce((sum, row) => sum + row[2], 0)).toBe(summary.requests.arrived);
    expect(rows.reduce((sum, row) => sum + row[4], 0)).toBe(summary.requests.completed);
    expect(rows.map((row) => row[0])).toEqual(rows.map((_, index) => index));
  });
});

describe('GPU memory', () => {
  it('shrinks the automatic GPU tier as requests run', () => {
    const { result } = run({ workload: { sessions: 300, sessionRatePerSec: 20 } });
    expect(result.resolved.dynamicGpuCache).toBe(true);
    const budget = result.resolved.inflightBudgetBytes;
    const rows = result.timeSeries!.rows;
    // Columns 14 and 15: GPU cache bytes and in-flight KV bytes at the end of each minute.
    for (const row of rows) expect(row[14] + row[15]).toBeLessThanOrEqual(budget);
    expect(Math.max(...rows.map((row) => row[15]))).toBeGreaterThan(0);
  });

  it('evicts at the admission instant when the GPU tier shrinks', () => {
    // LRU that notes the simulated time of every eviction.
    const evictedAt: number[] = [];
    registerPolicy({
      name: 'lru-eviction-times',
      description: 'LRU that records when it evicts',
      parameters: [],
      create: (params, context): EvictionPolicy => {
        const lru = getPolicy('lru').create(params, context);
        return {
          grow: (handleCapacity) => lru.grow(handleCapacity),
          onHit: (handle) => lru.onHit(handle),
          admit: (handle, key, size) => lru.admit(handle, key, size),
          evict: () => {
            evictedAt.push(context.access.now);
            return lru.evict();
          },
          insert: (handle, key, size) => lru.insert(handle, key, size),
          remove: (handle) => lru.remove(handle),
        };
      },
    });

    const outcomes: RequestOutcome[] = [];
    // An H100 leaves about 10 GB beside the weights, which the sessions' KV fills.
    const { result } = run(
      { gpu: { preset: 'h100' }, workload: { sessions: 60 }, tiers: { gpu: { policy: 'lru-eviction-times' } } },
      {},
      { requestLog: (outcome) => outcomes.push({ ...outcome }) },
    );
    expect(result.resolved.dynamicGpuCache).toBe(true);

    const admissions = new Set(outcomes.map((outcome) => outcome.arrivalAt + outcome.queueNs));
    const commits = new Set(outcomes.flatMap((outcome) => [outcome.arrivalAt + outcome.ttftNs, outcome.arrivalAt + outcome.e2eNs]));
    expect(evictedAt.length).toBeGreaterThan(100);
    // Blocks leave the GPU tier when a request is admitted (the tier shrinks) or committed.
    for (const at of evictedAt) expect(admissions.has(at) || commits.has(at)).toBe(true);
    // Evictions caused by an admission carry its instant, not the instant of the latest commit.
    expect(evictedAt.filter((at) => admissions.has(at) && !commits.has(at)).length).toBeGreaterThan(0);
  });

  it('keeps a set GPU tier capacity fixed', () => {
    const { result } = run({ workload: { sessions: 50 }, tiers: { gpu: { capacity: '4GB' } } });
    expect(result.resolved.dynamicGpuCache).toBe(false);
    expect(result.store.tiers[0].capacity).toBe(4e9);
    expect(result.resolved.inflightBudgetBytes + 4e9).toBeLessThan(result.resolved.hbmBytes);
  });
});

describe('KV demand', () => {
  it('exceeds 200 GB for 10 sessions of 8,192 tokens on llama2-70b-mha', () => {
    const { summary } = run(example('memblaze-10x8k.json'));
    // 10 x 8,192 tokens x 2,621,440 bytes = 214.7 GB when every session is at its longest context.
    expect(summary.memory.peakKvDemandBytes).toBeGreaterThan(200e9);
    expect(summary.memory.peakKvDemandBytes).toBeLessThanOrEqual(10 * 8192 * 2_621_440);
    expect(summary.tiers.ssd.bytesWritten).toBeGreaterThan(0);
    expect(summary.requests.completed).toBe(40);
  });
});
