// ARC (Megiddo and Modha, "ARC: A Self-Tuning, Low Overhead Replacement Cache", FAST 2003), as
// libCacheSim's ARC.c implements it for objects of any size. T1 contains objects requested once
// since they entered and T2 objects requested again. B1 and B2 are ghost lists of the keys most
// recently evicted from T1 and T2. The target size p of T1 is a real number starting at 0. A ghost hit in B1 adds
// max(|B2| / |B1|, 1) to p (capped at the capacity), a ghost hit in B2 subtracts max(|B1| / |B2|, 1)
// (floored at 0), and the object then enters T2's head; any other miss enters T1's head. Sizes of
// lists are sums of object sizes, in the cache's unit.
//
// REPLACE evicts T1's LRU into B1 when T1 is not empty and |T1| > p (or |T1| = p on a B2 hit), or
// when T2 is empty; otherwise T2's LRU into B2. On a miss in all four lists, when |T1| + |B1| plus
// the incoming size exceeds the capacity, B1's LRU is dropped before REPLACE (or, with B1 empty,
// T1's LRU is evicted without a ghost); otherwise B2's LRU is dropped first once all four lists
// together reach twice the capacity.

import type { EvictionPolicy, PolicyContext, PolicyDefinition } from './policy.js';
import { DoublyLinkedList } from './list.js';
import { GhostQueue } from './ghost-queue.js';

const NOT_GHOST = 0;
const FROM_B1 = 1;
const FROM_B2 = 2;

class Arc implements EvictionPolicy {
  private readonly t1 = new DoublyLinkedList();
  private readonly t2 = new DoublyLinkedList();
  private readonly b1 = new GhostQueue();
  private readonly b2 = new GhostQueue();
  private t1Size = 0;
  private t2Size = 0;
  private p = 0;
  /** Ghost list in which the object of the current miss was found (FROM_B1, FROM_B2 or NOT_GHOST). */
  private ghostHit = NOT_GHOST;
  /** Size of the object of the current miss, as passed to `admit`. */
  private incomingSize = 0;
  private sizes = new Float64Array(0);
  private keys = new Float64Array(0);
  private readonly capacity: number;

  constructor(context: PolicyContext) {
    this.capacity = context.capacity;
  }

  grow(handleCapacity: number): void {
    this.t1.grow(handleCapacity);
    this.t2.grow(handleCapacity);
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
    if (this.t1.has(handle)) {
      this.t1.unlink(handle);
      this.t1Size -= this.sizes[handle];
      this.t2.pushHead(handle);
      this.t2Size += this.sizes[handle];
    } else {
      this.t2.moveToHead(handle);
    }
  }

  admit(_handle: number, key: number, size: number): boolean {
    this.incomingSize = size;
    this.ghostHit = NOT_GHOST;
    if (this.b1.has(key)) {
      this.ghostHit = FROM_B1;
      const delta = Math.max(this.b2.usedSize / this.b1.usedSize, 1);
      this.p = Math.min(this.p + delta, this.capacity);
      this.b1.delete(key);
    } else if (this.b2.has(key)) {
      this.ghostHit = FROM_B2;
      const delta = Math.max(this.b1.usedSize / this.b2.usedSize, 1);
      this.p = Math.max(this.p - delta, 0);
      this.b2.delete(key);
    }
    return true;
  }

  evict(): number {
    if (this.t1.length === 0 && this.t2.length === 0) return -1;
    if (this.ghostHit !== NOT_GHOST) return this.replace();

    const incomingSize = this.incomingSize;
    if (this.t1Size + this.b1.usedSize + incomingSize > this.capacity) {
      if (this.b1.usedSize > 0) {
        this.b1.dropTail();
        return this.replace();
      }
      const victim = this.t1.popTail();
      this.t1Size -= this.sizes[victim];
      return victim;
    }
    if (this.t1Size + this.b1.usedSize + this.t2Size + this.b2.usedSize >= 2 * this.capacity && this.b2.usedSize > 0) {
      this.b2.dropTail();
    }
    return this.replace();
  }

  insert(handle: number, key: number, size: number): void {
    this.sizes[handle] = size;
    this.keys[handle] = key;
    if (this.ghostHit !== NOT_GHOST) {
      this.t2.pushHead(handle);
      this.t2Size += size;
      this.ghostHit = NOT_GHOST;
    } else {
      this.t1.pushHead(handle);
      this.t1Size += size;
    }
  }

  remove(handle: number): void {
    if (this.t1.has(handle)) {
      this.t1.unlink(handle);
      this.t1Size -= this.sizes[handle];
    } else if (this.t2.has(handle)) {
      this.t2.unlink(handle);
      this.t2Size -= this.sizes[handle];
    }
  }

  /** ARC's REPLACE: moves T1's or T2's LRU object into its ghost list and returns its handle. */
  private replace(): number {
    const evictFromT1 =
      (this.t1Size > 0 && (this.t1Size > this.p || (this.t1Size === this.p && this.ghostHit === FROM_B2))) ||
      this.t2Size === 0;
    if (evictFromT1) {
      const victim = this.t1.popTail();
      this.t1Size -= this.sizes[victim];
      this.b1.pushHead(this.keys[victim], this.sizes[victim]);
      return victim;
    }
    const victim = this.t2.popTail();
    this.t2Size -= this.sizes[victim];
    this.b2.pushHead(this.keys[victim], this.sizes[victim]);
    return victim;
  }
}

export const arc: PolicyDefinition = {
  name: 'arc',
  description: 'ARC (Megiddo and Modha, FAST 2003): recency and frequency lists whose split adapts to ghost hits.',
  parameters: [],
  readsBlockFacts: false,
  create: (_params, context) => new Arc(context),
};
