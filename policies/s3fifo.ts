// S3-FIFO (Yang et al., "FIFO queues are all you need for cache eviction", SOSP 2023), as in
// libCacheSim's S3FIFO.c. A small FIFO takes a share of the capacity (10% by default) and a main
// FIFO the rest. A ghost FIFO keeps the keys evicted from the small queue, up to 90% of the capacity.
// A hit increments the object's counter (no cap). Evicting from the small queue moves an object
// with at least `threshold` hits to the main queue (counter reset to 0) and sends the others to the
// ghost. Evicting from the main queue reinserts an object with counter >= 1 at the head with counter
// min(counter, 3) - 1 and evicts one with counter 0. The main queue evicts when it is over its share
// or the small queue is empty; otherwise the small queue evicts. A miss found in the ghost enters the
// main queue; any other miss enters the small queue. Some libCacheSim versions send new objects to
// the main queue while the small queue is full before the first eviction. Commit aa0fc40, whose
// counts kvtier matches, does not. Only objects no larger than the small queue are admitted, and
// one exactly that large is not inserted after room has been made for it.

import type { EvictionPolicy, PolicyContext, PolicyDefinition } from './policy.js';
import { DoublyLinkedList } from './list.js';
import { GhostQueue } from './ghost-queue.js';

class S3Fifo implements EvictionPolicy {
  private readonly small = new DoublyLinkedList();
  private readonly main = new DoublyLinkedList();
  private readonly ghost: GhostQueue | null;
  private readonly smallCapacity: number;
  private readonly mainCapacity: number;
  private readonly threshold: number;
  private smallUsed = 0;
  private mainUsed = 0;
  private hitOnGhost = false;
  private counters = new Int32Array(0);
  private sizes = new Float64Array(0);
  private keys = new Float64Array(0);

  constructor(params: Readonly<Record<string, number>>, context: PolicyContext) {
    // Truncation toward zero, as libCacheSim's int64_t conversions do.
    this.smallCapacity = Math.trunc(context.capacity * params.small);
    this.mainCapacity = context.capacity - this.smallCapacity;
    const ghostCapacity = Math.trunc(context.capacity * params.ghost);
    this.ghost = ghostCapacity > 0 ? new GhostQueue(ghostCapacity) : null;
    this.threshold = params.threshold;
  }

  grow(handleCapacity: number): void {
    this.small.grow(handleCapacity);
    this.main.grow(handleCapacity);
    if (handleCapacity > this.counters.length) {
      const size = Math.max(handleCapacity, this.counters.length * 2);
      const counters = new Int32Array(size);
      const sizes = new Float64Array(size);
      const keys = new Float64Array(size);
      counters.set(this.counters);
      sizes.set(this.sizes);
      keys.set(this.keys);
      this.counters = counters;
      this.sizes = sizes;
      this.keys = keys;
    }
  }

  onHit(handle: number): void {
    this.counters[handle]++;
  }

  admit(_handle: number, key: number, size: number): boolean {
    this.hitOnGhost = this.ghost !== null && this.ghost.delete(key);
    return size <= this.smallCapacity;
  }

  evict(): number {
    while (this.small.length > 0 || this.main.length > 0) {
      const victim = this.mainUsed > this.mainCapacity || this.smallUsed === 0 ? this.evictMain() : this.evictSmall();
      if (victim !== -1) return victim;
    }
    return -1;
  }

  insert(handle: number, key: number, size: number): boolean {
    this.sizes[handle] = size;
    this.keys[handle] = key;
    this.counters[handle] = 0;
    if (this.hitOnGhost) {
      this.hitOnGhost = false;
      this.pushMain(handle);
      return true;
    }
    // An object as large as the small queue would flush it entirely; libCacheSim declines it.
    if (size >= this.smallCapacity) return false;
    this.small.pushHead(handle);
    this.smallUsed += size;
    return true;
  }

  remove(handle: number): void {
    if (this.small.has(handle)) {
      this.small.unlink(handle);
      this.smallUsed -= this.sizes[handle];
    } else if (this.main.has(handle)) {
      this.main.unlink(handle);
      this.mainUsed -= this.sizes[handle];
    }
  }

  /** Evicts one object from the small queue, promoting hit objects on the way; -1 when it empties first. */
  private evictSmall(): number {
    while (this.small.length > 0) {
      const candidate = this.small.popTail();
      this.smallUsed -= this.sizes[candidate];
      if (this.counters[candidate] >= this.threshold) {
        this.counters[candidate] = 0;
        this.pushMain(candidate);
      } else {
        if (this.ghost !== null) this.ghost.addBounded(this.keys[candidate], this.sizes[candidate]);
        return candidate;
      }
    }
    return -1;
  }

  private evictMain(): number {
    for (;;) {
      const candidate = this.main.tail;
      if (candidate === -1) return -1;
      const counter = this.counters[candidate];
      if (counter >= 1) {
        this.counters[candidate] = Math.min(counter, 3) - 1;
        this.main.moveToHead(candidate);
      } else {
        this.main.unlink(candidate);
        this.mainUsed -= this.sizes[candidate];
        return candidate;
      }
    }
  }

  private pushMain(handle: number): void {
    this.main.pushHead(handle);
    this.mainUsed += this.sizes[handle];
  }
}

export const s3fifo: PolicyDefinition = {
  name: 's3fifo',
  description: 'S3-FIFO (Yang et al., SOSP 2023): a small probationary FIFO, a main FIFO and a ghost FIFO.',
  parameters: [
    { name: 'small', description: 'share of the capacity given to the small FIFO', defaultValue: 0.1, min: 0, max: 1 },
    { name: 'ghost', description: 'capacity of the ghost FIFO as a share of the cache capacity', defaultValue: 0.9, min: 0, max: 10 },
    { name: 'threshold', description: 'hits in the small FIFO that move an object to the main FIFO', defaultValue: 2, min: 1 },
  ],
  readsBlockFacts: false,
  create: (params, context) => new S3Fifo(params, context),
  largestObjectShare: (params) => params.small,
};
