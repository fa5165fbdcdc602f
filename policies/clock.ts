// CLOCK (second chance, FIFO-reinsertion), as in libCacheSim's Clock.c. Objects sit in a FIFO queue
// with a small counter: a new object enters at the head with counter 0 and a hit raises the counter
// up to 2^bits - 1. To evict, the tail is examined: a non-zero counter is decremented and the object
// moved to the head, a zero counter is evicted. With the default of one bit this is the classic
// reference-bit CLOCK.

import type { EvictionPolicy, PolicyContext, PolicyDefinition } from './policy.js';
import { DoublyLinkedList } from './list.js';

class Clock implements EvictionPolicy {
  // Linked through the store's link slots where it offers them.
  private readonly queue: DoublyLinkedList;
  private counters = new Uint8Array(0);
  private readonly maxCount: number;

  constructor(bits: number, context: PolicyContext) {
    this.maxCount = 2 ** bits - 1;
    this.queue = new DoublyLinkedList(context.handleLinks ?? null);
  }

  grow(handleCapacity: number): void {
    this.queue.grow(handleCapacity);
    if (handleCapacity > this.counters.length) {
      const counters = new Uint8Array(Math.max(handleCapacity, this.counters.length * 2));
      counters.set(this.counters);
      this.counters = counters;
    }
  }

  onHit(handle: number): void {
    if (this.counters[handle] < this.maxCount) this.counters[handle]++;
  }

  admit(): boolean {
    return true;
  }

  evict(): number {
    let victim = this.queue.tail;
    while (victim !== -1 && this.counters[victim] >= 1) {
      this.counters[victim]--;
      this.queue.moveToHead(victim);
      victim = this.queue.tail;
    }
    if (victim !== -1) this.queue.unlink(victim);
    return victim;
  }

  insert(handle: number): void {
    this.counters[handle] = 0;
    this.queue.pushHead(handle);
  }

  remove(handle: number): void {
    this.queue.unlink(handle);
  }
}

export const clock: PolicyDefinition = {
  name: 'clock',
  description: 'CLOCK (second chance): a FIFO that gives objects hit since their last pass another round.',
  parameters: [
    { name: 'bits', description: 'width of the per-object hit counter in bits (libCacheSim n-bit-counter)', defaultValue: 1, min: 1, max: 8 },
  ],
  readsBlockFacts: false,
  create: (params, context) => new Clock(params.bits, context),
};
