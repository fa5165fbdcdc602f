// KV-aware policies over the blocks of the real Mooncake conversation trace (kvcache-ai/Mooncake,
// Apache-2.0), replayed block by block through a one-tier KvStore as in mooncake-lru.test.ts. The
// replay gives policies the facts that the simulator gives them: each block's position, the block
// before it and, for the offline optimum, the index of its next request. A request's usable
// prefix is the run of leading blocks present when it arrives. Its usable tokens are that many
// blocks of 512 tokens, capped at the request's input length.

import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { getGpu } from '../../devices/gpus.js';
import { parsePolicySpec } from '../../policies/registry.js';
import { ComputeModel } from '../../sim/compute.js';
import { KvStore } from '../../sim/kv-store.js';
import { getModel, kvBytesPerToken } from '../../sim/models.js';
import { forEachMooncakeRequest } from '../../workloads/mooncake.js';

const tracePath = fileURLToPath(new URL('../../workloads/data/mooncake_conversation_trace.jsonl', import.meta.url));
const BLOCK_TOKENS = 512;

interface Counts {
  usableBlocks: number;
  usableTokens: number;
  hitsAnyPosition: number;
  /** Prefill time that the usable prefixes save, in ns, by `compute`; 0 without it. */
  savedPrefillNs: number;
}

/** Next-request index of every block access, in trace order, or Infinity when none follows. */
function nextAccessIndexes(): Float64Array {
  const ids: number[] = [];
  forEachMooncakeRequest(tracePath, (record) => {
    for (let i = 0; i < record.promptBlockCount; i++) ids.push(record.promptBlockIds[i]);
  });
  const next = new Float64Array(ids.length);
  const seen = new Map<number, number>();
  for (let index = ids.length - 1; index >= 0; index--) {
    next[index] = seen.get(ids[index]) ?? Number.POSITIVE_INFINITY;
    seen.set(ids[index], index);
  }
  return next;
}

/**
 * Replays the trace through one cache. With `compute`, each block carries its recompute time (its
 * prefill after the blocks before it), and the counts include the prefill time saved.
 */
function replay(policy: string, capacityBlocks: number, nextAccess: Float64Array, compute?: ComputeModel): Counts {
  const store = new KvStore(
    [{ name: 'gpu', capacity: capacityBlocks, policy: parsePolicySpec(policy), writeMode: 'write-back', writeSelectiveHits: 2, exclusive: false }],
    { bytesPerToken: 1, unitSizes: true },
  );
  const access = store.access;
  const counts: Counts = { usableBlocks: 0, usableTokens: 0, hitsAnyPosition: 0, savedPrefillNs: 0 };
  let accessIndex = 0;
  forEachMooncakeRequest(tracePath, (record) => {
    const ids = record.promptBlockIds;
    let usable = 0;
    let inPrefix = true;
    for (let i = 0; i < record.promptBlockCount; i++) {
      const present = store.find(ids[i]) >= 0;
      if (present) counts.hitsAnyPosition++;
      if (present && inPrefix) usable++;
      else inPrefix = false;
    }
    const usableTokens = Math.min(usable * BLOCK_TOKENS, record.inputTokens);
    counts.usableBlocks += usable;
    counts.usableTokens += usableTokens;
    if (compute !== undefined) {
      counts.savedPrefillNs += compute.prefillNs(record.inputTokens, 0) - compute.prefillNs(record.inputTokens - usableTokens, usableTokens);
    }
    for (let i = 0; i < record.promptBlockCount; i++) {
      access.position = i;
      access.recomputeNs = compute === undefined ? Number.NaN : compute.prefillNs(BLOCK_TOKENS, i * BLOCK_TOKENS);
      access.accessIndex = accessIndex;
      access.nextAccessIndex = nextAccess[accessIndex];
      accessIndex++;
      store.touch(ids[i], BLOCK_TOKENS, -1, i > 0 ? ids[i - 1] : Number.NaN);
    }
  });
  return counts;
}

// LRU's usable tokens are the reference of mooncake-lru.test.ts (prefix_hit_tokens in
// test/fixtures/reference/mooncake-conversation-lru.csv, computed outside kvtier). The prefix-lru
// figures are kvtier's own results, kept as regression values.
const CASES = [
  { capacityBlocks: 1000, lruTokens: 6_567_267, prefixLruTokens: 6_575_459 },
  { capacityBlocks: 4000, lruTokens: 12_661_792, prefixLruTokens: 12_772_896 },
  { capacityBlocks: 16000, lruTokens: 38_777_859, prefixLruTokens: 38_785_539 },
];

describe('KV-aware policies over the Mooncake conversation trace', () => {
  let nextAccess: Float64Array;
  beforeAll(() => {
    nextAccess = nextAccessIndexes();
  });

  for (const { capacityBlocks, lruTokens, prefixLruTokens } of CASES) {
    it(`prefix-lru beats lru at ${capacityBlocks} blocks`, () => {
      const lru = replay('lru', capacityBlocks, nextAccess);
      const prefixLru = replay('prefix-lru', capacityBlocks, nextAccess);
      expect(lru.usableTokens).toBe(lruTokens);
      expect(prefixLru.usableTokens).toBe(prefixLruTokens);
      expect(prefixLru.usableTokens).toBeGreaterThan(lru.usableTokens);
      // LRU strands blocks behind an evicted head; prefix-aware LRU keeps every present block usable.
      expect(lru.hitsAnyPosition).toBeGreaterThan(lru.usableBlocks);
      expect(prefixLru.hitsAnyPosition).toBe(prefixLru.usableBlocks);
    });
  }

  it('optimal-prefix bounds every policy at 4000 blocks', () => {
    const optimal = replay('optimal-prefix', 4000, nextAccess);
    expect(optimal.hitsAnyPosition).toBe(optimal.usableBlocks);
    for (const policy of ['lru', 'prefix-lru', 'think-time', 'recompute-cost', 'belady', 's3fifo']) {
      expect(replay(policy, 4000, nextAccess).usableTokens, policy).toBeLessThanOrEqual(optimal.usableTokens);
    }
  });

  // Recompute times of Llama 3.1 70B on one H200 at half its peak FLOPs.
  const model = getModel('llama3.1-70b');
  const compute = new ComputeModel(model, getGpu('h200'), kvBytesPerToken(model), {
    prefillUtilization: 0.5,
    decodeBandwidthUtilization: 0.8,
    tensorParallel: 1,
  });

  for (const capacityBlocks of [1000, 4000, 16000]) {
    it(`recompute-cost saves the most prefill at ${capacityBlocks} blocks`, () => {
      const recomputeCost = replay('recompute-cost', capacityBlocks, nextAccess, compute);
      for (const policy of ['lru', 'prefix-lru']) {
        expect(recomputeCost.savedPrefillNs, policy).toBeGreaterThan(replay(policy, capacityBlocks, nextAccess, compute).savedPrefillNs);
      }
    });
  }

  it('recompute-cost keeps only usable blocks', () => {
    const counts = replay('recompute-cost', 4000, nextAccess);
    expect(counts.hitsAnyPosition).toBe(counts.usableBlocks);
  });
});
