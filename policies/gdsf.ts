// GDSF, greedy dual size frequency (Cherkasova, "Improving WWW Proxies Performance with
// Greedy-Dual-Size-Frequency Caching Policy", HP Labs report HPL-98-69R1, 1998), as in libCacheSim's
// GDSF.cpp. An object's priority is L + frequency x 10^6 / size, computed when it is inserted
// (frequency 1) and on each hit (frequency + 1), where L is the priority of the last evicted object.
// The victim has the lowest priority, and among equals the one touched least recently. The priority
// queue is an indexed binary min-heap in typed arrays, so an access allocates nothing.

import type { AccessInfo, EvictionPolicy, PolicyContext, PolicyDefinition } from './policy.js';

class Gdsf implements EvictionPolicy {
  private heap = new Int32Array(16);
  private heapSize = 0;
  private position = new Int32Array(0);
  private priority = new Float64Array(0);
  /** Access index of the object's last insert or hit, which breaks ties between equal priorities. */
  private touchedAt = new Float64Array(0);
  private frequency = new Float64Array(0);
  private sizes = new Float64Array(0);
  /** L: the priority of the last evicted object. */
  private inflation = 0;
  private readonly access: AccessInfo;

  constructor(context: PolicyContext) {
    this.access = context.access;
  }

  grow(handleCapacity: number): void {
    if (handleCapacity <= this.position.length) return;
    const size = Math.max(handleCapacity, this.position.length * 2);
    this.position = growTyped(this.position, size, Int32Array);
    this.priority = growTyped(this.priority, size, Float64Array);
    this.touchedAt = growTyped(this.touchedAt, size, Float64Array);
    this.frequency = growTyped(this.frequency, size, Float64Array);
    this.sizes = growTyped(this.sizes, size, Float64Array);
    if (size > this.heap.length) this.heap = growTyped(this.heap, size, Int32Array);
  }

  onHit(handle: number): void {
    this.frequency[handle] += 1;
    this.priority[handle] = this.inflation + (this.frequency[handle] * 1e6) / this.sizes[handle];
    this.touchedAt[handle] = this.access.accessIndex;
    this.siftDown(this.position[handle]);
    this.siftUp(this.position[handle]);
  }

  admit(): boolean {
    return true;
  }

  evict(): number {
    if (this.heapSize === 0) return -1;
    const victim = this.heap[0];
    this.inflation = this.priority[victim];
    this.removeAt(0);
    return victim;
  }

  insert(handle: number, _key: number, size: number): void {
    this.sizes[handle] = size;
    this.frequency[handle] = 1;
    this.priority[handle] = this.inflation + 1e6 / size;
    this.touchedAt[handle] = this.access.accessIndex;
    const index = this.heapSize++;
    this.heap[index] = handle;
    this.position[handle] = index;
    this.siftUp(index);
  }

  remove(handle: number): void {
    this.removeAt(this.position[handle]);
  }

  private removeAt(index: number): void {
    const last = this.heap[--this.heapSize];
    if (index === this.heapSize) return;
    this.heap[index] = last;
    this.position[last] = index;
    this.siftDown(index);
    this.siftUp(this.position[last]);
  }

  /** Returns whether `a` is evicted before `b`: lower priority first, then the older touch. */
  private before(a: number, b: number): boolean {
    const pa = this.priority[a];
    const pb = this.priority[b];
    return pa < pb || (pa === pb && this.touchedAt[a] < this.touchedAt[b]);
  }

  private siftUp(start: number): void {
    const heap = this.heap;
    const moving = heap[start];
    let index = start;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.before(moving, heap[parent])) break;
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
    let index = start;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= this.heapSize) break;
      if (child + 1 < this.heapSize && this.before(heap[child + 1], heap[child])) child++;
      if (!this.before(heap[child], moving)) break;
      heap[index] = heap[child];
      this.position[heap[index]] = index;
      index = child;
    }
    heap[index] = moving;
    this.position[moving] = index;
  }
}

function growTyped<T extends Float64Array | Int32Array>(array: T, size: number, kind: { new (size: number): T }): T {
  const grown = new kind(size);
  grown.set(array);
  return grown;
}

export const gdsf: PolicyDefinition = {
  name: 'gdsf',
  description: 'GDSF (Cherkasova 1998): evicts the lowest L + frequency x 10^6 / size, L rising to each victim\'s priority.',
  parameters: [],
  readsBlockFacts: false,
  create: (_params, context) => new Gdsf(context),
};
