// Shared helper for the hand-trace policy tests: replays a short list of object ids through a
// PolicyCache, with next-use indexes precomputed as the object-trace driver does.

import { parsePolicySpec } from '../../policies/registry.js';
import { PolicyCache } from '../../sim/cache.js';

export interface Replay {
  /** One character per request: 1 for a hit, 0 for a miss. */
  hits: string;
  cache: PolicyCache;
  /** Ids resident at the end, ascending. */
  residents: number[];
}

/** Replays `ids` (small non-negative integers, used as handles and keys) with unit sizes unless `sizes` is given. */
export function replay(spec: string, capacity: number, ids: number[], sizes?: Record<number, number>): Replay {
  const cache = new PolicyCache(parsePolicySpec(spec), capacity);
  const maxId = Math.max(...ids);
  cache.grow(maxId + 1);
  const nextUse = new Array<number>(ids.length);
  const seen = new Map<number, number>();
  for (let index = ids.length - 1; index >= 0; index--) {
    nextUse[index] = seen.get(ids[index]) ?? Number.POSITIVE_INFINITY;
    seen.set(ids[index], index);
  }
  let hits = '';
  ids.forEach((id, index) => {
    cache.access.accessIndex = index;
    cache.access.nextAccessIndex = nextUse[index];
    hits += cache.request(id, id, sizes?.[id] ?? 1) ? '1' : '0';
  });
  const residents: number[] = [];
  for (let id = 0; id <= maxId; id++) if (cache.has(id)) residents.push(id);
  return { hits, cache, residents };
}

/** Reads a private field of the cache's policy, for checks on internal state such as ARC's p. */
export function policyField(cache: PolicyCache, name: string): unknown {
  return (cache.policy as unknown as Record<string, unknown>)[name];
}
