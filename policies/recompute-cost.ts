// Recompute-cost-aware eviction. Keeping a block saves the prefill time of recomputing it when its
// context returns, and that time grows with the block's position, because each token attends to
// every token before it. The policy ranks blocks by GreedyDual-Size-Frequency (Cherkasova, HP Labs
// report HPL-98-69R1, 1998) with that time as the cost:
//   priority = L + frequency x recomputeNs / sizeBytes,
// the time saved per byte of cache, where L is the priority of the latest victim (so blocks not
// requested for a while age out) and the frequency counts requests since the block was inserted.
//
// A block is worth its recompute time only while the blocks before it are cached too. So only the
// last resident block of a context (a leaf) may be evicted, and a block followed here by a resident
// block of its context waits until that block has gone. Among leaves the lowest priority goes
// first, then the one requested least recently. The links to a block's previous block come from
// `previousHandle`; each carries the previous block's insertion generation, so a link to a block
// that has since been removed, or whose handle was reused, is ignored.
//
// Without a recompute time (object-trace mode) the cost is the size, so the priority is
// L + frequency and the policy is LFU with aging.

import type { AccessInfo, EvictionPolicy, PolicyContext, PolicyDefinition } from './policy.js';
import { IndexedHeap } from './indexed-heap.js';

const NONE = -1;

class RecomputeCost implements EvictionPolicy {
  private readonly access: AccessInfo;
  /** Leaves by priority, then by the access index of their latest request. */
  private readonly leaves = new IndexedHeap();
  private priority = new Float64Array(0);
  private touchedAt = new Float64Array(0);
  private frequency = new Float64Array(0);
  private sizes = new Float64Array(0);
  private resident = new Uint8Array(0);
  private parent = new Int32Array(0);
  private parentGeneration = new Int32Array(0);
  private generation = new Int32Array(0);
  private childCount = new Int32Array(0);
  /** L: the priority of the latest victim. */
  private inflation = 0;

  constructor(context: PolicyContext) {
    this.access = context.access;
  }

  grow(handleCapacity: number): void {
    if (handleCapacity <= this.priority.length) return;
    const size = Math.max(handleCapacity, this.priority.length * 2);
    this.priority = extend(this.priority, size);
    this.touchedAt = extend(this.touchedAt, size);
    this.frequency = extend(this.frequency, size);
    this.sizes = extend(this.sizes, size);
    this.resident = extend(this.resident, size);
    this.parent = extend(this.parent, size);
    this.parentGeneration = extend(this.parentGeneration, size);
    this.generation = extend(this.generation, size);
    this.childCount = extend(this.childCount, size);
    this.leaves.grow(size);
  }

  onHit(handle: number): void {
    this.frequency[handle] += 1;
    this.setPriority(handle);
    if (this.parent[handle] === NONE) this.attach(handle);
    this.leaves.update(handle, this.priority[handle], this.touchedAt[handle]);
  }

  admit(): boolean {
    return true;
  }

  evict(): number {
    const victim = this.leaves.pop();
    if (victim === NONE) return NONE;
    this.inflation = this.priority[victim];
    this.forget(victim);
    return victim;
  }

  insert(handle: number, _key: number, size: number): void {
    this.sizes[handle] = size;
    this.frequency[handle] = 1;
    this.resident[handle] = 1;
    this.generation[handle]++;
    this.childCount[handle] = 0;
    this.parent[handle] = NONE;
    this.setPriority(handle);
    this.attach(handle);
    this.leaves.push(handle, this.priority[handle], this.touchedAt[handle]);
  }

  remove(handle: number): void {
    this.leaves.delete(handle);
    this.forget(handle);
  }

  private setPriority(handle: number): void {
    const recomputeNs = this.access.recomputeNs;
    const cost = Number.isNaN(recomputeNs) ? this.sizes[handle] : recomputeNs;
    this.priority[handle] = this.inflation + (this.frequency[handle] * cost) / this.sizes[handle];
    this.touchedAt[handle] = this.access.accessIndex;
  }

  // Links `handle` under the context's previous block when that block is resident here; the
  // previous block stops being a leaf.
  private attach(handle: number): void {
    const previous = this.access.previousHandle;
    if (previous < 0 || previous === handle || this.resident[previous] !== 1) return;
    this.parent[handle] = previous;
    this.parentGeneration[handle] = this.generation[previous];
    this.childCount[previous]++;
    this.leaves.delete(previous);
  }

  // Drops a resident that has left; its previous block becomes a leaf again when this was its last child.
  private forget(handle: number): void {
    this.resident[handle] = 0;
    const previous = this.parent[handle];
    this.parent[handle] = NONE;
    if (previous === NONE || this.resident[previous] !== 1 || this.generation[previous] !== this.parentGeneration[handle]) return;
    if (--this.childCount[previous] === 0) this.leaves.push(previous, this.priority[previous], this.touchedAt[previous]);
  }
}

function extend<T extends Float64Array | Int32Array | Uint8Array>(array: T, size: number): T {
  const grown = new (array.constructor as new (length: number) => T)(size);
  grown.set(array);
  if (grown instanceof Int32Array && array instanceof Int32Array) grown.fill(NONE, array.length);
  return grown;
}

export const recomputeCost: PolicyDefinition = {
  name: 'recompute-cost',
  description: "Recompute-cost-aware GDSF: evicts the context tail with the least prefill time saved per byte (L + frequency x recompute ns / bytes).",
  parameters: [],
  create: (_params, context) => new RecomputeCost(context),
};
