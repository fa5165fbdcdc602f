// Prefix-aware LRU. A block is usable only while every block before it in its context is cached
// too, so evicting a context's head block strands its tail. Plain LRU does exactly that, because a
// request touches its blocks head first and leaves the head least recent. This policy keeps one
// recency list, but links a block that follows its context's previous block (`previousHandle`, when
// that block is resident here) right behind that block instead of at the head. A request touching
// blocks 0..n-1 therefore leaves them in the order 0, 1, ..., n-1 from the head, every block sits
// behind its predecessor, and the tail that LRU evicts is always a context's last resident block.
// What stays of a context is then a prefix that a later request can use. The radix-tree caches of
// LLM servers (SGLang's RadixAttention, Zheng et al., 2024) get the same effect by evicting leaves only.
//
// Without positions (object-trace mode, or a block demoted from the tier above) every block goes to
// the head, as in LRU. Demotions still arrive tail first, because the tier above evicts tails first.

import type { AccessInfo, EvictionPolicy, PolicyContext, PolicyDefinition } from './policy.js';
import { DoublyLinkedList } from './list.js';

class PrefixLru implements EvictionPolicy {
  private readonly list = new DoublyLinkedList();
  private readonly access: AccessInfo;

  constructor(context: PolicyContext) {
    this.access = context.access;
  }

  grow(handleCapacity: number): void {
    this.list.grow(handleCapacity);
  }

  onHit(handle: number): void {
    this.list.unlink(handle);
    this.link(handle);
  }

  admit(): boolean {
    return true;
  }

  evict(): number {
    return this.list.popTail();
  }

  insert(handle: number): void {
    this.link(handle);
  }

  remove(handle: number): void {
    this.list.unlink(handle);
  }

  private link(handle: number): void {
    const previous = this.access.previousHandle;
    if (previous >= 0 && previous !== handle && this.list.has(previous)) this.list.insertAfter(previous, handle);
    else this.list.pushHead(handle);
  }
}

export const prefixLru: PolicyDefinition = {
  name: 'prefix-lru',
  description: "Prefix-aware LRU: a block ranks just behind its context's previous block, so a context's tail is evicted before its head.",
  parameters: [],
  create: (_params, context) => new PrefixLru(context),
};
