// LRU (least recently used). A hit moves the object to the head of a recency list and the victim is
// the tail, as in libCacheSim's LRU. The list is doubly linked through an Int32Array indexed by
// handle, the KV store's link slots where it offers them, so an access allocates nothing.

import type { EvictionPolicy, PolicyContext, PolicyDefinition } from './policy.js';
import { DoublyLinkedList } from './list.js';

class Lru implements EvictionPolicy {
  private readonly list: DoublyLinkedList;

  constructor(context: PolicyContext) {
    this.list = new DoublyLinkedList(context.handleLinks ?? null);
  }

  grow(handleCapacity: number): void {
    this.list.grow(handleCapacity);
  }

  onHit(handle: number): void {
    this.list.moveToHead(handle);
  }

  admit(): boolean {
    return true;
  }

  evict(): number {
    const victim = this.list.tail;
    if (victim !== -1) this.list.unlink(victim);
    return victim;
  }

  insert(handle: number): void {
    this.list.pushHead(handle);
  }

  remove(handle: number): void {
    this.list.unlink(handle);
  }
}

export const lru: PolicyDefinition = {
  name: 'lru',
  description: 'Least recently used: evicts the object whose last request is oldest.',
  parameters: [],
  readsBlockFacts: false,
  create: (_params, context) => new Lru(context),
};
