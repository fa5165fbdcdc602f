// Hand-checked cases for the KV-aware policies, run through a one-tier KvStore with unit sizes so
// that capacities count blocks. Each context is touched head first, as the simulator does, with the
// block's position, its previous block and, where a case needs them, a time and a recompute cost.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parsePolicySpec } from '../../policies/registry.js';
import { erfc } from '../../policies/think-time.js';
import { readObjectTrace, simulateObjectTrace } from '../../sim/cachesim.js';
import { PolicyCache } from '../../sim/cache.js';
import { KvStore } from '../../sim/kv-store.js';
import { replay } from './replay.js';

const NS_PER_SEC = 1e9;

function oneTier(policy: string, capacityBlocks: number): KvStore {
  return new KvStore(
    [{ name: 'gpu', capacity: capacityBlocks, policy: parsePolicySpec(policy), writeMode: 'write-back', writeSelectiveHits: 2, exclusive: false }],
    { bytesPerToken: 1, unitSizes: true },
  );
}

interface Touch {
  session?: number;
  atSec?: number;
  /** Recompute cost of each block, in ns. */
  recomputeNs?: number[];
}

/** Touches the blocks `ids` of one context head first. */
function touchContext(store: KvStore, ids: number[], touch: Touch = {}): void {
  const access = store.access;
  access.session = touch.session ?? -1;
  access.now = (touch.atSec ?? 0) * NS_PER_SEC;
  ids.forEach((id, position) => {
    access.position = position;
    access.recomputeNs = touch.recomputeNs?.[position] ?? Number.NaN;
    access.accessIndex++;
    store.touch(id, 16, -1, position > 0 ? ids[position - 1] : Number.NaN);
  });
}

function residents(store: KvStore, ids: number[]): number[] {
  return ids.filter((id) => store.find(id) >= 0);
}

describe('prefix-lru', () => {
  it('evicts the tail of a context first', () => {
    const store = oneTier('prefix-lru', 3);
    touchContext(store, [10, 11, 12]);
    touchContext(store, [20]);
    // Plain LRU would evict 10, the least recently touched, and strand 11 and 12.
    expect(residents(store, [10, 11, 12, 20])).toEqual([10, 11, 20]);
  });

  it('keeps a re-requested prefix ahead of its old tail', () => {
    const store = oneTier('prefix-lru', 3);
    touchContext(store, [10, 11, 12]);
    touchContext(store, [10, 11]);
    touchContext(store, [20, 21]);
    // 12 was not requested again, so it and then 11 go; 10 stays a usable prefix.
    expect(residents(store, [10, 11, 12, 20, 21])).toEqual([10, 20, 21]);
  });

  it('plain lru strands the tail', () => {
    const store = oneTier('lru', 3);
    touchContext(store, [10, 11, 12]);
    touchContext(store, [20]);
    expect(residents(store, [10, 11, 12, 20])).toEqual([11, 12, 20]);
  });
});

describe('think-time', () => {
  // A tight think time (median 100 s, p90 150 s): a session that has just finished a turn will not
  // return within a 100 s horizon as surely as one that has been thinking for 90 s.
  const spec = 'think-time(median=100,p90=150,continuation=0.8,horizon=100)';

  it('evicts the session that has just finished when another is about to return', () => {
    const store = oneTier(spec, 4);
    touchContext(store, [10, 11], { session: 1, atSec: 0 });
    touchContext(store, [20, 21], { session: 2, atSec: 90 });
    touchContext(store, [30], { session: 3, atSec: 90 });
    // The user of session 1, idle 90 s, is likely back within 100 s, the user of session 2 (idle
    // 0 s) less so, so session 2's tail goes.
    expect(residents(store, [10, 11, 20, 21, 30])).toEqual([10, 11, 20, 30]);
  });

  it('evicts an abandoned session first', () => {
    const store = oneTier(spec, 4);
    touchContext(store, [10, 11], { session: 1, atSec: 0 });
    touchContext(store, [20, 21], { session: 2, atSec: 5000 });
    touchContext(store, [30], { session: 3, atSec: 5000 });
    // The user of session 1 has been idle 5,000 s, far past any think time, and has most likely left.
    expect(residents(store, [10, 11, 20, 21, 30])).toEqual([10, 20, 21, 30]);
  });

  it('defaults to the synthetic workload think time', () => {
    expect(parsePolicySpec('think-time').label).toBe('think-time(median=116,p90=1372,continuation=0.79,horizon=116)');
  });

  it('rejects a p90 below the median', () => {
    expect(() => oneTier('think-time(median=100,p90=50)', 4)).toThrow('policy "think-time": parameter "p90" is 50: expected a number above median (100)');
  });
});

describe('recompute-cost', () => {
  it('evicts the context tail that is cheapest to recompute', () => {
    const store = oneTier('recompute-cost', 3);
    touchContext(store, [10, 11], { recomputeNs: [50, 400] });
    touchContext(store, [20], { recomputeNs: [100] });
    touchContext(store, [30], { recomputeNs: [300] });
    // Leaves are 11 (400 ns) and 20 (100 ns); 10 is cheaper still but 11 needs it.
    expect(residents(store, [10, 11, 20, 30])).toEqual([10, 11, 30]);
  });

  it('evicts a head once its tail is gone', () => {
    const store = oneTier('recompute-cost', 2);
    touchContext(store, [10, 11], { recomputeNs: [100, 200] });
    touchContext(store, [20], { recomputeNs: [1000] });
    touchContext(store, [30], { recomputeNs: [1000] });
    expect(residents(store, [10, 11, 20, 30])).toEqual([20, 30]);
  });

  it('weighs cost by frequency', () => {
    const store = oneTier('recompute-cost', 2);
    touchContext(store, [10], { recomputeNs: [100] });
    touchContext(store, [10], { recomputeNs: [100] });
    touchContext(store, [10], { recomputeNs: [100] });
    touchContext(store, [20], { recomputeNs: [250] });
    touchContext(store, [30], { recomputeNs: [250] });
    // 10 has priority 3 x 100; 20 has 250, so 20 goes.
    expect(residents(store, [10, 20, 30])).toEqual([10, 30]);
  });
});

describe('optimal-prefix', () => {
  it('bypasses a block never requested again', () => {
    // 1 2 3 1 2 in a cache of 2: 3 is not inserted, so both 1 and 2 hit.
    expect(replay('optimal-prefix', 2, [1, 2, 3, 1, 2]).hits).toBe('00011');
    // Belady inserts 3, evicting 2, the farthest.
    expect(replay('belady', 2, [1, 2, 3, 1, 2]).hits).toBe('00010');
  });

  it('bypasses a block needed later than every resident', () => {
    // At 4 the residents 1 and 2 are needed at 3 and 4 (indexes), 4 itself at 6: 4 is not inserted.
    expect(replay('optimal-prefix', 2, [1, 2, 4, 1, 2, 3, 4]).hits).toBe('0001100');
  });

  it('inserts freely while there is room', () => {
    expect(replay('optimal-prefix', 3, [1, 2, 3, 1, 2]).hits).toBe('00011');
  });
});

describe('KV-aware policies in object-trace mode', () => {
  const tracePath = fileURLToPath(new URL('../fixtures/libcachesim/zipf_a1.0_200k_seed42.csv', import.meta.url));
  const trace = readObjectTrace(tracePath, { format: 'csv', ignoreSize: true });

  it('prefix-lru and think-time equal lru without positions or time', () => {
    for (const size of [168, 840, 3363]) {
      const lru = simulateObjectTrace(trace, parsePolicySpec('lru'), size).misses;
      expect(simulateObjectTrace(trace, parsePolicySpec('prefix-lru'), size).misses).toBe(lru);
      expect(simulateObjectTrace(trace, parsePolicySpec('think-time'), size).misses).toBe(lru);
    }
  });

  it('optimal-prefix misses no more than belady', () => {
    for (const size of [168, 840, 3363]) {
      const belady = simulateObjectTrace(trace, parsePolicySpec('belady'), size).misses;
      expect(simulateObjectTrace(trace, parsePolicySpec('optimal-prefix'), size).misses).toBeLessThanOrEqual(belady);
    }
  });
});

describe('erfc', () => {
  // Exact values of the complementary error function, to 16 significant digits.
  const exact: [number, number][] = [
    [0, 1],
    [0.5, 0.4795001221869535],
    [1, 0.15729920705028513],
    [2, 0.004677734981047266],
    [-1, 1.8427007929497148],
  ];
  for (const [x, value] of exact) {
    it(`is within 1e-7 at ${x}`, () => {
      expect(Math.abs(erfc(x) - value)).toBeLessThan(1e-7);
    });
  }
});

describe('think-time with demoted blocks', () => {
  it('orders sessions by the activity blocks carry', () => {
    // Demoted blocks arrive with the instant of their latest request, out of order. With the default
    // wide think time the return probability falls with idle time, so the idlest session goes first.
    const cache = new PolicyCache(parsePolicySpec('think-time'), 5);
    cache.grow(8);
    const access = cache.access;
    access.now = 200 * NS_PER_SEC;
    const activitySec = [100, 50, 75, 60, 90];
    activitySec.forEach((atSec, handle) => {
      access.session = handle;
      access.lastAccessAt = atSec * NS_PER_SEC;
      cache.insert(handle, handle, 1);
    });
    const evicted: number[] = [];
    cache.setEvictionListener((handle) => evicted.push(activitySec[handle]));
    cache.setCapacity(0);
    expect(evicted).toEqual([50, 60, 75, 90, 100]);
  });
});
