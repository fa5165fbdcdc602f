// LRU that protects the first blocks of every context, as a TypeScript user policy. In chat serving
// the first blocks usually contain a system prompt shared by many sessions. Losing them makes every
// session recompute its whole context. Blocks at positions below `protect` go to a second LRU list
// that is evicted only when the ordinary one is empty.
//
// kvtier compiles a .ts policy with the TypeScript compiler before importing it (types are not
// checked), so the module must be self-contained: type-only imports, as below, are fine.
//   kvtier run --policy ./examples/policies/system-prompt-lru.ts
//
// Positions come from `context.access`, which kvtier fills before each call. In object-trace mode
// positions are unknown (-1), so the policy is plain LRU there.

import type { AccessInfo, EvictionPolicy, PolicyContext, PolicyDefinition } from '../../policies/policy.js';

const NONE = -1;

class Recency {
  head = NONE;
  tail = NONE;
  prev = new Int32Array(0);
  next = new Int32Array(0);
  member = new Uint8Array(0);

  grow(handleCapacity: number): void {
    if (handleCapacity <= this.prev.length) return;
    const prev = new Int32Array(handleCapacity);
    const next = new Int32Array(handleCapacity);
    const member = new Uint8Array(handleCapacity);
    prev.set(this.prev);
    next.set(this.next);
    member.set(this.member);
    this.prev = prev;
    this.next = next;
    this.member = member;
  }

  pushHead(handle: number): void {
    this.prev[handle] = NONE;
    this.next[handle] = this.head;
    if (this.head !== NONE) this.prev[this.head] = handle;
    else this.tail = handle;
    this.head = handle;
    this.member[handle] = 1;
  }

  unlink(handle: number): boolean {
    if (this.member[handle] !== 1) return false;
    const before = this.prev[handle];
    const after = this.next[handle];
    if (before !== NONE) this.next[before] = after;
    else this.head = after;
    if (after !== NONE) this.prev[after] = before;
    else this.tail = before;
    this.member[handle] = 0;
    return true;
  }
}

class SystemPromptLru implements EvictionPolicy {
  private readonly ordinary = new Recency();
  private readonly heads = new Recency();
  private readonly access: AccessInfo;
  private readonly protectedBlocks: number;

  constructor(params: Readonly<Record<string, number>>, context: PolicyContext) {
    this.access = context.access;
    this.protectedBlocks = params.protect;
  }

  grow(handleCapacity: number): void {
    this.ordinary.grow(handleCapacity);
    this.heads.grow(handleCapacity);
  }

  onHit(handle: number): void {
    this.remove(handle);
    this.insert(handle);
  }

  admit(): boolean {
    return true;
  }

  evict(): number {
    const victim = this.ordinary.tail !== NONE ? this.ordinary.tail : this.heads.tail;
    if (victim !== NONE) this.remove(victim);
    return victim;
  }

  insert(handle: number): void {
    const position = this.access.position;
    if (position >= 0 && position < this.protectedBlocks) this.heads.pushHead(handle);
    else this.ordinary.pushHead(handle);
  }

  remove(handle: number): void {
    if (!this.ordinary.unlink(handle)) this.heads.unlink(handle);
  }
}

export const policy: PolicyDefinition = {
  name: 'system-prompt-lru',
  description: 'LRU that evicts the first blocks of a context only when nothing else is left.',
  parameters: [{ name: 'protect', description: 'leading blocks of each context to protect', defaultValue: 2, min: 0 }],
  create: (params, context) => new SystemPromptLru(params, context),
};
