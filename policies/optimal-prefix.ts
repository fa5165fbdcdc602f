// Offline optimum for prefix caching, an upper bound for the online policies. It is Belady's MIN
// (Belady, IBM Systems Journal, 1966) with bypass: evict the resident block whose next request is
// farthest away. When inserting a missed block would evict something, skip it if it is never
// requested again or if its next request is farther than every resident's.
//
// MIN respects prefix usability without a rule of its own. Every request for block k of a context also
// requests block k - 1 just before it, so block k - 1's next request always comes sooner than
// block k's, and MIN never keeps a block while evicting the block before it. Its hits are therefore
// usable prefix hits. With unit sizes MIN with bypass maximises hits, so no policy serves more
// usable prefix blocks. Blocks never requested again tie, and the deeper one goes first.
//
// Next requests come from `access.nextAccessIndex`, which block and object replays precompute. The
// full simulation knows none, so `kvtier run` rejects offline policies. A caller that drives the
// KV store without next uses gets every block admitted and the deepest block evicted first, which
// is no bound at all.
// NOTE: with byte sizes (partial blocks) the result is a strong heuristic, not a proven bound.

import type { AccessInfo, CacheOccupancy, EvictionPolicy, PolicyContext, PolicyDefinition } from './policy.js';
import { IndexedHeap } from './indexed-heap.js';

class OptimalPrefix implements EvictionPolicy {
  private readonly access: AccessInfo;
  private readonly cache: CacheOccupancy;
  /**
   * Residents keyed by negated next use and negated position, so the farthest next use comes out
   * first and, among blocks never requested again, the deepest.
   */
  private readonly residents = new IndexedHeap();

  constructor(context: PolicyContext) {
    this.access = context.access;
    this.cache = context.cache;
  }

  grow(handleCapacity: number): void {
    this.residents.grow(handleCapacity);
  }

  onHit(handle: number): void {
    this.residents.update(handle, -this.currentNextUse(), -this.access.position);
  }

  admit(_handle: number, _key: number, size: number): boolean {
    // Without a known next request (the full simulation) there is nothing to bypass on.
    if (Number.isNaN(this.access.nextAccessIndex)) return true;
    if (this.cache.used + size <= this.cache.capacity) return true;
    const next = this.currentNextUse();
    if (next === Number.POSITIVE_INFINITY) return false;
    const farthest = this.residents.peek();
    return farthest === -1 || -this.residents.primaryOf(farthest) > next;
  }

  evict(): number {
    return this.residents.pop();
  }

  insert(handle: number): void {
    this.residents.push(handle, -this.currentNextUse(), -this.access.position);
  }

  remove(handle: number): void {
    this.residents.delete(handle);
  }

  private currentNextUse(): number {
    const next = this.access.nextAccessIndex;
    return Number.isNaN(next) ? Number.POSITIVE_INFINITY : next;
  }
}

export const optimalPrefix: PolicyDefinition = {
  name: 'optimal-prefix',
  description: "Offline optimum with bypass (Belady's MIN), which keeps prefixes usable; needs each block's next request.",
  parameters: [],
  create: (_params, context) => new OptimalPrefix(context),
  offline: true,
};
