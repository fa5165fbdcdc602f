// Every policy driven as the KV store drives it: keys are block ids, a handle is recycled once its
// block has been evicted, and requests go through has/hit/insert. The cache's accounting must stay
// consistent with the residents the policy reports, and ghost entries must follow keys, not handles.

import { describe, expect, it } from 'vitest';
import { listPolicies, parsePolicySpec } from '../../policies/registry.js';
import { PolicyCache } from '../../sim/cache.js';
import { policyField } from './replay.js';

/** A small deterministic generator (xorshift32), so the trace is the same on every run. */
function makeRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
}

interface KvDriver {
  cache: PolicyCache;
  request(key: number, size: number): boolean;
  handleOf: Map<number, number>;
}

function makeDriver(spec: string, capacity: number): KvDriver {
  const cache = new PolicyCache(parsePolicySpec(spec), capacity);
  cache.grow(64);
  const handleOf = new Map<number, number>();
  const keyOf = new Map<number, number>();
  const freeHandles: number[] = [];
  let nextHandle = 0;
  cache.setEvictionListener((handle) => {
    handleOf.delete(keyOf.get(handle)!);
    keyOf.delete(handle);
    freeHandles.push(handle);
  });
  const request = (key: number, size: number): boolean => {
    let handle = handleOf.get(key);
    if (handle !== undefined && cache.has(handle)) {
      cache.hit(handle);
      return true;
    }
    if (handle === undefined) {
      handle = freeHandles.pop() ?? nextHandle++;
      cache.grow(handle + 1);
      handleOf.set(key, handle);
      keyOf.set(handle, key);
    }
    cache.insert(handle, key, size);
    if (!cache.has(handle) && keyOf.get(handle) === key) {
      // Not admitted: the handle is free again.
      handleOf.delete(key);
      keyOf.delete(handle);
      freeHandles.push(handle);
    }
    return false;
  };
  return { cache, request, handleOf };
}

/** Counts the hits of the same key sequence in object-trace mode, where handles are never recycled. */
function objectTraceHits(spec: string, capacity: number, keys: number[], sizes: number[]): number {
  const cache = new PolicyCache(parsePolicySpec(spec), capacity);
  const handleOf = new Map<number, number>();
  let hits = 0;
  keys.forEach((key, index) => {
    let handle = handleOf.get(key);
    if (handle === undefined) {
      handle = handleOf.size;
      handleOf.set(key, handle);
      cache.grow(handle + 1);
    }
    if (cache.request(handle, key, sizes[index])) hits++;
  });
  return hits;
}

describe('policies with recycled handles', () => {
  // Skewed keys (low keys are popular), each with a fixed size of 1..40.
  const random = makeRandom(7);
  const keys = Array.from({ length: 20_000 }, () => Math.floor(400 * random() ** 3) * 1_000_003);
  const sizes = keys.map((key) => 1 + (key % 40));

  for (const definition of listPolicies()) {
    it(`${definition.name} keeps accounting consistent`, () => {
      const driver = makeDriver(definition.name, 5000);
      let hits = 0;
      keys.forEach((key, index) => {
        if (driver.request(key, sizes[index])) hits++;

        let used = 0;
        for (const handle of driver.handleOf.values()) if (driver.cache.has(handle)) used += driver.cache.sizeOf(handle);
        expect(driver.cache.used).toBe(used);
        expect(driver.cache.used).toBeLessThanOrEqual(5000);
      });

      const expectedHits = objectTraceHits(definition.name, 5000, keys, sizes);
      if (definition.name === 'lirs') {
        // LIRS can keep an object as resident without counting it. A request for it is a hit in
        // object-trace mode, but has() reports it absent to the KV store, which inserts it, so the
        // driver counts a miss. Such requests are rare: 7 of 16,168 hits on this trace.
        expect(hits).toBeLessThanOrEqual(expectedHits);
        expect(expectedHits - hits).toBeLessThan(expectedHits * 0.002);
      } else {
        expect(hits).toBe(expectedHits);
      }
    });
  }

  it('arc ghost follows the key to a new handle', () => {
    // Capacity 3: keys 1 and 2, hit 1 (to T2), key 3, then key 4 evicts 2 from T1 into B1 and its
    // handle is recycled. Key 2 returns under another handle and is still a B1 ghost hit: p rises.
    const driver = makeDriver('arc', 3);
    for (const key of [1, 2, 1, 3, 4]) driver.request(key, 1);
    expect(driver.handleOf.has(2)).toBe(false);
    expect(policyField(driver.cache, 'p')).toBe(0);
    driver.request(2, 1);
    expect(policyField(driver.cache, 'p')).toBe(1);
  });
});
