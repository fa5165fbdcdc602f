// 2Q (Johnson and Shasha, "2Q: A Low Overhead High Performance Buffer Management Replacement
// Algorithm", VLDB 1994), the full version, as in libCacheSim's TwoQ.c. Ain is a FIFO of new objects
// (25% of the capacity by default), Aout a ghost FIFO of keys evicted from Ain (50%), and Am an LRU
// of objects requested again after leaving Ain (the rest). A hit in Ain changes nothing; a hit in Am
// moves the object to Am's head. A miss found in Aout enters Am, which first evicts its own LRU
// objects while Am alone would exceed its share. Any other miss enters Ain. To make room, Ain's
// oldest object moves to Aout while Ain is over its share, otherwise Am's LRU object is evicted.
// Objects larger than Ain's share are not admitted.

import type { EvictionPolicy, PolicyContext, PolicyDefinition, ResidencyReport } from './policy.js';
import { DoublyLinkedList } from './list.js';
import { GhostQueue } from './ghost-queue.js';

class TwoQ implements EvictionPolicy {
  private readonly ain = new DoublyLinkedList();
  private readonly am = new DoublyLinkedList();
  private readonly aout: GhostQueue;
  private readonly ainCapacity: number;
  private readonly amCapacity: number;
  private ainUsed = 0;
  private amUsed = 0;
  private hitOnGhost = false;
  private sizes = new Float64Array(0);
  private keys = new Float64Array(0);
  private readonly residency: ResidencyReport;

  constructor(params: Readonly<Record<string, number>>, context: PolicyContext) {
    // Truncation toward zero, as libCacheSim's int64_t conversions do.
    this.ainCapacity = Math.trunc(context.capacity * params.in);
    this.amCapacity = context.capacity - this.ainCapacity;
    this.aout = new GhostQueue(Math.trunc(context.capacity * params.out));
    this.residency = context.residency;
  }

  grow(handleCapacity: number): void {
    this.ain.grow(handleCapacity);
    this.am.grow(handleCapacity);
    if (handleCapacity > this.sizes.length) {
      const size = Math.max(handleCapacity, this.sizes.length * 2);
      const sizes = new Float64Array(size);
      const keys = new Float64Array(size);
      sizes.set(this.sizes);
      keys.set(this.keys);
      this.sizes = sizes;
      this.keys = keys;
    }
  }

  onHit(handle: number): void {
    if (this.am.has(handle)) this.am.moveToHead(handle);
  }

  admit(_handle: number, key: number, size: number): boolean {
    this.hitOnGhost = this.aout.delete(key);
    return size <= this.ainCapacity;
  }

  evict(): number {
    if (this.ainUsed > this.ainCapacity) {
      const victim = this.ain.popTail();
      this.ainUsed -= this.sizes[victim];
      this.aout.addBounded(this.keys[victim], this.sizes[victim]);
      return victim;
    }
    const victim = this.am.popTail();
    if (victim !== -1) this.amUsed -= this.sizes[victim];
    return victim;
  }

  insert(handle: number, key: number, size: number): void {
    this.sizes[handle] = size;
    this.keys[handle] = key;
    if (!this.hitOnGhost) {
      this.ain.pushHead(handle);
      this.ainUsed += size;
      return;
    }
    this.hitOnGhost = false;
    // libCacheSim inserts through Am's own get, which evicts within Am's share first; those
    // evictions are the cache's too, so they are reported.
    while (this.amUsed + size > this.amCapacity) {
      const victim = this.am.popTail();
      if (victim === -1) break;
      this.amUsed -= this.sizes[victim];
      this.residency.evicted(victim);
    }
    this.am.pushHead(handle);
    this.amUsed += size;
  }

  remove(handle: number): void {
    if (this.ain.has(handle)) {
      this.ain.unlink(handle);
      this.ainUsed -= this.sizes[handle];
    } else if (this.am.has(handle)) {
      this.am.unlink(handle);
      this.amUsed -= this.sizes[handle];
    }
  }
}

export const twoq: PolicyDefinition = {
  name: 'twoq',
  description: '2Q (Johnson and Shasha, VLDB 1994): a FIFO for new objects, a ghost FIFO, and an LRU for re-referenced ones.',
  parameters: [
    { name: 'in', description: 'share of the capacity given to the Ain FIFO', defaultValue: 0.25, min: 0, max: 1 },
    { name: 'out', description: 'capacity of the Aout ghost FIFO as a share of the cache capacity', defaultValue: 0.5, min: 0, max: 10 },
  ],
  readsBlockFacts: false,
  create: (params, context) => new TwoQ(params, context),
  largestObjectShare: (params) => params.in,
};
