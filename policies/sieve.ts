// SIEVE (Zhang et al., "SIEVE is Simpler than LRU", NSDI 2024), as in libCacheSim's Sieve.c. New
// objects enter at the head unvisited and a hit marks an object visited. The hand starts at the tail
// and moves toward the head, clearing visited marks, and evicts the first unvisited object. It then
// rests on the evicted object's newer neighbour, and wraps to the tail after passing the head.

import type { EvictionPolicy, PolicyContext, PolicyDefinition } from './policy.js';
import { DoublyLinkedList } from './list.js';

class Sieve implements EvictionPolicy {
  // Linked through the store's link slots where it offers them.
  private readonly queue: DoublyLinkedList;
  private visited = new Uint8Array(0);
  /** The next object the hand examines, or -1 to start from the tail. */
  private hand = -1;

  constructor(context: PolicyContext) {
    this.queue = new DoublyLinkedList(context.handleLinks ?? null);
  }

  grow(handleCapacity: number): void {
    this.queue.grow(handleCapacity);
    if (handleCapacity > this.visited.length) {
      const visited = new Uint8Array(Math.max(handleCapacity, this.visited.length * 2));
      visited.set(this.visited);
      this.visited = visited;
    }
  }

  onHit(handle: number): void {
    this.visited[handle] = 1;
  }

  admit(): boolean {
    return true;
  }

  evict(): number {
    if (this.queue.length === 0) return -1;
    let victim = this.hand === -1 ? this.queue.tail : this.hand;
    while (this.visited[victim] === 1) {
      this.visited[victim] = 0;
      victim = this.queue.prevOf(victim);
      if (victim === -1) victim = this.queue.tail;
    }
    this.hand = this.queue.prevOf(victim);
    this.queue.unlink(victim);
    return victim;
  }

  insert(handle: number): void {
    this.visited[handle] = 0;
    this.queue.pushHead(handle);
  }

  remove(handle: number): void {
    if (!this.queue.has(handle)) return;
    if (this.hand === handle) this.hand = this.queue.prevOf(handle);
    this.queue.unlink(handle);
  }
}

export const sieve: PolicyDefinition = {
  name: 'sieve',
  description: 'SIEVE (Zhang et al., NSDI 2024): a FIFO with a visited bit and a hand that sweeps from old to new.',
  parameters: [],
  readsBlockFacts: false,
  create: (_params, context) => new Sieve(context),
};
