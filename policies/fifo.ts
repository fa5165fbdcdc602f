// FIFO (first in, first out). A hit changes nothing and the victim is the object inserted longest
// ago, as in libCacheSim's FIFO. The queue is doubly linked through an Int32Array indexed by handle,
// the KV store's link slots where it offers them, so an access allocates nothing.

import type { EvictionPolicy, PolicyContext, PolicyDefinition } from './policy.js';
import { DoublyLinkedList } from './list.js';

class Fifo implements EvictionPolicy {
  private readonly queue: DoublyLinkedList;

  constructor(context: PolicyContext) {
    this.queue = new DoublyLinkedList(context.handleLinks ?? null);
  }

  grow(handleCapacity: number): void {
    this.queue.grow(handleCapacity);
  }

  onHit(): void {}

  admit(): boolean {
    return true;
  }

  evict(): number {
    return this.queue.popTail();
  }

  insert(handle: number): void {
    this.queue.pushHead(handle);
  }

  remove(handle: number): void {
    this.queue.unlink(handle);
  }
}

export const fifo: PolicyDefinition = {
  name: 'fifo',
  description: 'First in, first out: evicts the object inserted longest ago; hits change nothing.',
  parameters: [],
  readsBlockFacts: false,
  create: (_params, context) => new Fifo(context),
};
