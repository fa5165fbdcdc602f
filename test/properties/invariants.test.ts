// Invariants checked with fast-check over random configurations, policies and workloads. Each
// invariant runs at least 1,000 random cases (fast-check's seed is fixed so a failure reproduces;
// its message prints the counterexample). The link-slot equivalence runs 200, because each of its
// cases touches more than 1,100 blocks.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getPolicy, parsePolicySpec, registerPolicy } from '../../policies/registry.js';
import { buildSummary } from '../../results/summary.js';
import { toJson } from '../../results/run-folder.js';
import { EventQueue } from '../../sim/event-queue.js';
import { KvStore, type TierSpec, type WriteMode } from '../../sim/kv-store.js';
import { DEFAULT_SCENARIO } from '../../sim/default-scenario.js';
import { collectRunFacts, runScenario } from '../../sim/run.js';
import { mergeScenario, parseScenario } from '../../sim/scenario.js';

const RUNS = { numRuns: 1000, seed: 20261204 };

// Policies that need no next-use oracle, so every tier of a full simulation can run them.
const POLICIES = ['lru', 'fifo', 'lfu', 'clock', 'sieve', 'arc', 's3fifo', 'twoq', 'lirs', 'gdsf', 'prefix-lru', 'recompute-cost', 'think-time'];
const WRITE_MODES: WriteMode[] = ['write-back', 'write-through', 'write-selective'];

const tierArbitrary = fc.record({
  capacity: fc.integer({ min: 0, max: 40 }),
  policy: fc.constantFrom(...POLICIES),
  writeMode: fc.constantFrom(...WRITE_MODES),
  writeSelectiveHits: fc.integer({ min: 1, max: 3 }),
  exclusive: fc.boolean(),
});

const operationArbitrary = fc.record({
  id: fc.integer({ min: 0, max: 60 }),
  tokens: fc.integer({ min: 1, max: 16 }),
  readFrom: fc.integer({ min: -1, max: 2 }),
});

describe('KvStore under random operations', () => {
  it('keeps tiers within capacity and accounts for every block', () => {
    fc.assert(
      fc.property(fc.array(tierArbitrary, { minLength: 1, maxLength: 3 }), fc.array(operationArbitrary, { maxLength: 150 }), (tiers, operations) => {
        const specs: TierSpec[] = tiers.map((tier, index) => ({
          name: ['gpu', 'dram', 'ssd'][index],
          capacity: tier.capacity * 16,
          policy: parsePolicySpec(tier.policy),
          writeMode: tier.writeMode,
          writeSelectiveHits: tier.writeSelectiveHits,
          exclusive: index > 0 && tier.exclusive,
        }));
        const store = new KvStore(specs, { bytesPerToken: 1 });
        for (const { id, tokens, readFrom } of operations) {
          // A block is read from a lower tier only where it has a copy, as the simulator does.
          const handle = store.find(id);
          const holds = handle >= 0 && readFrom > 0 && readFrom < specs.length && (store.residencyOf(handle) & (1 << readFrom)) !== 0;
          store.touch(id, tokens, holds ? readFrom : -1);
          for (const [index, tier] of store.tiers.entries()) {
            expect(tier.used).toBeLessThanOrEqual(specs[index].capacity);
            expect(tier.used).toBeGreaterThanOrEqual(0);
          }
          const dropped = store.droppedBlocks.reduce((sum, count) => sum + count, 0);
          expect(store.createdBlocks).toBe(store.blockCount + dropped + store.unadmittedBlocks);
        }
        for (let id = 0; id <= 60; id++) {
          const found = store.find(id);
          if (found >= 0) expect(store.residencyOf(found)).not.toBe(0);
        }
      }),
      RUNS,
    );
  });
});

// LRU, FIFO, CLOCK and SIEVE keep their links in the store's records when it offers link slots. Copies that are
// refused the slots keep their own arrays, and must make every decision the same way.
for (const name of ['lru', 'fifo', 'clock', 'sieve']) {
  const definition = getPolicy(name);
  registerPolicy({ ...definition, name: `${name}-own-links`, create: (params, context) => definition.create(params, { ...context, handleLinks: undefined }) });
}

describe('KvStore link slots', () => {
  it("give the same residency as the policies' own arrays", () => {
    const linkedTier = fc.record({ capacity: fc.integer({ min: 0, max: 1500 }), policy: fc.constantFrom('lru', 'fifo', 'clock', 'sieve'), writeMode: fc.constantFrom(...WRITE_MODES) });
    fc.assert(
      fc.property(fc.array(linkedTier, { minLength: 1, maxLength: 3 }), fc.array(operationArbitrary, { maxLength: 200 }), (tiers, operations) => {
        const build = (suffix: string) =>
          new KvStore(
            tiers.map((tier, index) => ({
              name: ['gpu', 'dram', 'ssd'][index],
              capacity: tier.capacity * 16,
              policy: parsePolicySpec(`${tier.policy}${suffix}`),
              writeMode: tier.writeMode,
              writeSelectiveHits: 2,
              exclusive: false,
            })),
            { bytesPerToken: 1 },
          );
        const linked = build('');
        const own = build('-own-links');
        // 1,100 distinct blocks first, so that the stores grow past their first 1,024 handles.
        const touches = [...Array.from({ length: 1100 }, (_, index) => ({ id: 1000 + index, tokens: 16, readFrom: -1 })), ...operations];
        for (const { id, tokens, readFrom } of touches) {
          const handle = linked.find(id);
          const hasCopy = handle >= 0 && readFrom > 0 && readFrom < tiers.length && (linked.residencyOf(handle) & (1 << readFrom)) !== 0;
          linked.touch(id, tokens, hasCopy ? readFrom : -1);
          own.touch(id, tokens, hasCopy ? readFrom : -1);
        }
        for (let id = 0; id < 2100; id++) {
          const linkedHandle = linked.find(id);
          const ownHandle = own.find(id);
          expect(linkedHandle < 0 ? 0 : linked.residencyOf(linkedHandle)).toBe(ownHandle < 0 ? 0 : own.residencyOf(ownHandle));
        }
        expect([...linked.evictedBlocks]).toEqual([...own.evictedBlocks]);
        expect([...linked.droppedBlocks]).toEqual([...own.droppedBlocks]);
        expect(linked.tiers.map((tier) => tier.used)).toEqual(own.tiers.map((tier) => tier.used));
      }),
      { numRuns: 200, seed: 20261204 },
    );
  });
});

describe('EventQueue under random operations', () => {
  it('never goes back in time and keeps same-instant order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 5 })), { maxLength: 300 }), (steps) => {
        const queue = new EventQueue();
        let now = 0;
        let sequence = 0;
        const lastSequenceAt = new Map<number, number>();
        for (const [push, delay] of steps) {
          if (push) {
            queue.push(now + delay, 0, sequence++);
          } else if (queue.pop()) {
            expect(queue.poppedTime).toBeGreaterThanOrEqual(now);
            now = queue.poppedTime;
            expect(queue.poppedArg).toBeGreaterThan(lastSequenceAt.get(now) ?? -1);
            lastSequenceAt.set(now, queue.poppedArg);
          }
        }
      }),
      RUNS,
    );
  });
});

const scenarioArbitrary = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  sessions: fc.integer({ min: 1, max: 8 }),
  sessionRatePerSec: fc.constantFrom(0.5, 5, 50),
  systemPromptTokens: fc.integer({ min: 0, max: 3000 }),
  gpuGB: fc.constantFrom<number | 'auto'>('auto', 0.2, 1, 4),
  dramGB: fc.constantFrom(0, 0.5, 2, 16),
  ssdGB: fc.constantFrom(0, 1, 4, 100),
  gpuPolicy: fc.constantFrom(...POLICIES),
  lowerPolicy: fc.constantFrom(...POLICIES),
  writeMode: fc.constantFrom(...WRITE_MODES),
  loadRule: fc.constantFrom('cheaper', 'always', 'never'),
  overlap: fc.constantFrom('layerwise', 'none'),
  chunkTokens: fc.constantFrom(0, 256, 2048),
  maxBatchRequests: fc.integer({ min: 1, max: 16 }),
  ssdDevice: fc.constantFrom('pblaze7-7a40', 'd5-p5336', 'pm9a3'),
});

type ScenarioParameters = typeof scenarioArbitrary extends fc.Arbitrary<infer T> ? T : never;

// Runs a random scenario, discarding the cases that validation rejects before running, which is
// where a policy's largest admitted object (LIRS, S3-FIFO, 2Q) is smaller than one block.
function runOrDiscard(parameters: ScenarioParameters, options: Parameters<typeof runScenario>[1] = {}) {
  try {
    return runScenario(scenarioOf(parameters), options);
  } catch (error) {
    const rejected = (error as { code?: string }).code === 'ERR_KVTIER_INPUT' && /admits objects up to/.test(String(error));
    fc.pre(!rejected);
    throw error;
  }
}

function scenarioOf(parameters: ScenarioParameters) {
  const gb = (value: number | 'auto') => (value === 'auto' ? 'auto' : value * 1e9);
  return parseScenario(
    mergeScenario(DEFAULT_SCENARIO, {
      seed: parameters.seed,
      tiers: {
        gpu: { capacity: gb(parameters.gpuGB), policy: parameters.gpuPolicy, writeMode: parameters.writeMode },
        dram: { capacity: gb(parameters.dramGB), policy: parameters.lowerPolicy, writeMode: parameters.writeMode },
        ssd: { capacity: gb(parameters.ssdGB), policy: parameters.lowerPolicy, device: parameters.ssdDevice },
      },
      loadRule: parameters.loadRule,
      overlap: parameters.overlap,
      scheduler: { chunkTokens: parameters.chunkTokens, maxBatchRequests: parameters.maxBatchRequests },
      workload: {
        kind: 'synthetic',
        sessions: parameters.sessions,
        sessionRatePerSec: parameters.sessionRatePerSec,
        systemPromptTokens: parameters.systemPromptTokens,
      },
    }),
    'property',
  );
}

describe('whole runs over random scenarios', () => {
  it('complete every request and account for every lookup', () => {
    fc.assert(
      fc.property(scenarioArbitrary, (parameters) => {
        const ttftParts: number[][] = [];
        const result = runOrDiscard(parameters, {
          requestLog: (outcome) => ttftParts.push([outcome.ttftNs, outcome.queueNs, outcome.loadNs, outcome.gpuWaitNs, outcome.computeNs, outcome.e2eNs]),
        });
        const recorder = result.recorder;
        expect(recorder.requestsCompleted).toBe(recorder.requestsArrived);
        expect(recorder.requestsArrived).toBeGreaterThanOrEqual(parameters.sessions);
        // Every looked-up block is present in some tier or absent; every present block is used or not.
        const present = recorder.presentBlocks.reduce((sum, count) => sum + count, 0);
        const used = recorder.usedBlocks.reduce((sum, count) => sum + count, 0);
        expect(present + recorder.absentBlocks).toBe(recorder.promptBlocks);
        expect(used + recorder.presentUnusedBlocks).toBe(present);
        // Time moves forward for every request: each TTFT part is non-negative and they add up.
        for (const [ttft, queue, load, gpuWait, compute, e2e] of ttftParts) {
          expect(queue).toBeGreaterThanOrEqual(0);
          expect(load).toBeGreaterThanOrEqual(0);
          expect(gpuWait).toBeGreaterThanOrEqual(0);
          expect(compute).toBeGreaterThan(0);
          expect(Math.abs(queue + load + gpuWait + compute - ttft)).toBeLessThan(1e-6);
          expect(e2e).toBeGreaterThanOrEqual(ttft);
        }
        for (const [index, tier] of result.store.tiers.entries()) expect(tier.used).toBeLessThanOrEqual(result.resolved.tiers[index].capacity);
        const dropped = result.store.droppedBlocks.reduce((sum, count) => sum + count, 0);
        expect(result.store.createdBlocks).toBe(result.store.blockCount + dropped + result.store.unadmittedBlocks);
      }),
      RUNS,
    );
  });

  it('give identical results for identical seeds', () => {
    fc.assert(
      fc.property(scenarioArbitrary, (parameters) => {
        const first = toJson(buildSummary(collectRunFacts(runOrDiscard(parameters), 'test')));
        const second = toJson(buildSummary(collectRunFacts(runOrDiscard(parameters), 'test')));
        expect(second).toBe(first);
      }),
      RUNS,
    );
  });
});
