// Belady's MIN (Belady, "A study of replacement algorithms for a virtual-storage computer", IBM
// Systems Journal, 1966): evict the resident object whose next request is farthest in the future,
// an object never requested again being infinitely far. The missed object is always inserted (no
// bypass), as in libCacheSim's Belady.c. Each access's next-request index comes from
// `context.access.nextAccessIndex`, which the object-trace driver precomputes.
//
// Objects never requested again tie at infinity, and with sizes the choice among them changes the
// result. The max-heap below therefore repeats libCacheSim's binary heap (pqueue.c) step for step.
// It uses the same sift-up and sift-down rules, takes the right child only when it is strictly
// larger, and sifts a changed priority up when it grew and down otherwise. Entries live in typed
// arrays indexed by handle.

import type { AccessInfo, EvictionPolicy, PolicyContext, PolicyDefinition } from './policy.js';

class Belady implements EvictionPolicy {
  /** Heap of handles, 1-based as in pqueue.c; `heapSize` counts the unused slot 0. */
  private heap = new Int32Array(16);
  private heapSize = 1;
  private position = new Int32Array(0);
  private nextUse = new Float64Array(0);
  private readonly access: AccessInfo;

  constructor(context: PolicyContext) {
    this.access = context.access;
  }

  grow(handleCapacity: number): void {
    if (handleCapacity <= this.position.length) return;
    const size = Math.max(handleCapacity, this.position.length * 2);
    const position = new Int32Array(size);
    const nextUse = new Float64Array(size);
    position.set(this.position);
    nextUse.set(this.nextUse);
    this.position = position;
    this.nextUse = nextUse;
    if (size + 1 > this.heap.length) {
      const heap = new Int32Array(size + 1);
      heap.set(this.heap);
      this.heap = heap;
    }
  }

  onHit(handle: number): void {
    const previous = this.nextUse[handle];
    const next = this.currentNextUse();
    this.nextUse[handle] = next;
    if (previous < next) this.siftUp(this.position[handle]);
    else this.siftDown(this.position[handle]);
  }

  admit(): boolean {
    return true;
  }

  evict(): number {
    if (this.heapSize === 1) return -1;
    const victim = this.heap[1];
    this.heap[1] = this.heap[--this.heapSize];
    this.siftDown(1);
    return victim;
  }

  insert(handle: number): void {
    this.nextUse[handle] = this.currentNextUse();
    const index = this.heapSize++;
    this.heap[index] = handle;
    this.siftUp(index);
  }

  remove(handle: number): void {
    const index = this.position[handle];
    this.heap[index] = this.heap[--this.heapSize];
    if (index === this.heapSize) return;
    if (this.nextUse[handle] < this.nextUse[this.heap[index]]) this.siftUp(index);
    else this.siftDown(index);
  }

  // NOTE: without a precomputed next use (the KV store does not know the future) every object
  // counts as never requested again, and Belady degenerates to evicting in heap order.
  private currentNextUse(): number {
    const next = this.access.nextAccessIndex;
    return Number.isNaN(next) ? Number.POSITIVE_INFINITY : next;
  }

  private siftUp(start: number): void {
    const heap = this.heap;
    const moving = heap[start];
    const movingNextUse = this.nextUse[moving];
    let index = start;
    while (index > 1) {
      const parent = index >> 1;
      if (!(this.nextUse[heap[parent]] < movingNextUse)) break;
      heap[index] = heap[parent];
      this.position[heap[index]] = index;
      index = parent;
    }
    heap[index] = moving;
    this.position[moving] = index;
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    const moving = heap[start];
    const movingNextUse = this.nextUse[moving];
    let index = start;
    for (;;) {
      let child = index << 1;
      if (child >= this.heapSize) break;
      if (child + 1 < this.heapSize && this.nextUse[heap[child]] < this.nextUse[heap[child + 1]]) child++;
      if (!(movingNextUse < this.nextUse[heap[child]])) break;
      heap[index] = heap[child];
      this.position[heap[index]] = index;
      index = child;
    }
    heap[index] = moving;
    this.position[moving] = index;
  }
}

export const belady: PolicyDefinition = {
  name: 'belady',
  description: "Belady's MIN (offline optimal for unit sizes): evicts the object requested again farthest in the future.",
  parameters: [],
  create: (_params, context) => new Belady(context),
  offline: true,
};
