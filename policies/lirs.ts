// LIRS (Jiang and Zhang, "LIRS: An Efficient Low Inter-reference Recency Set Replacement Policy to
// Improve Buffer Cache Performance", SIGMETRICS 2002), as libCacheSim's LIRS.c implements it with
// three LRU lists. Stack S contains LIR objects, resident HIR objects and non-resident HIR history.
// List Q contains the resident HIR objects (1% of the capacity by default, at least 1). List NH
// indexes the non-resident entries of S, so the history can be trimmed once S grows past twice the
// capacity.
// Until the LIR share (the rest) is full new objects become LIR; after that they enter S and Q as
// HIR. A hit on an HIR object in S makes it LIR and demotes S's bottom LIR object into Q; pruning
// then drops HIR entries from S's bottom. Only objects no larger than the HIR share are admitted.
//
// The bookkeeping follows libCacheSim step for step, so that miss counts match it exactly, and that
// includes its quirks. Demotions and evictions happen inside hits and admission checks, not only
// when room is needed, so this policy runs whole requests (`request`) and reports residency
// changes through `context.residency`.
// NOTE: two quirks change results. When a hit on a Q-only object demotes an LIR object into a full
// Q, Q's eviction can take the hit object itself. libCacheSim then still records it in S as a
// resident HIR object that is not counted in the occupied size, and its next request is a hit that
// counts it again, so LIRS can hold more than its capacity. kvtier reports such an object as
// evicted, and as added again when it is next hit. In the same case libCacheSim keeps reading the size of the
// evicted Q entry through a dangling pointer, whose memory the next Q entry reuses, and
// `ChunkModel` reproduces that read. Both arise when Q is small next to the objects demoted into it.

import type { EvictionPolicy, PolicyContext, PolicyDefinition, ResidencyReport } from './policy.js';
import { DoublyLinkedList } from './list.js';
import { KeyTable } from './key-table.js';

const NO_SLOT = -1;

class Lirs implements EvictionPolicy {
  private readonly capacity: number;
  private readonly hirLimit: number;
  private readonly lirLimit: number;
  private readonly residency: ResidencyReport;

  /** Sizes of LIR objects, resident HIR objects (Q) and S's total, as libCacheSim counts them. */
  private lirUsed = 0;
  private hirUsed = 0;
  private stackUsed = 0;
  private nonResidentSize = 0;
  /** libCacheSim's occupied size, which decides when to evict. */
  private occupied = 0;

  private readonly stack = new DoublyLinkedList();
  private readonly queue = new DoublyLinkedList();
  private readonly nonResident = new DoublyLinkedList();
  private readonly table = new KeyTable();

  // Per-slot state. A slot is one object known to LIRS, keyed by the object's key because S keeps
  // history beyond the object's residency, and the KV store recycles handles.
  private slotKey = new Float64Array(0);
  private slotHandle = new Int32Array(0);
  private slotSize = new Float64Array(0);
  private isLir = new Uint8Array(0);
  /** S's resident flag for the entry; Q's entries are always resident. */
  private inCache = new Uint8Array(0);
  /** Residency of the slot as last reported to the cache (1 resident). */
  private reported = new Uint8Array(0);
  private freeSlots = new Int32Array(0);
  private freeCount = 0;
  private slotCount = 0;
  /** Slot of each handle's object, or -1. */
  private handleSlot = new Int32Array(0);
  /** Chunk of the slot's entry in S, Q and NH; see `ChunkModel`. */
  private stackChunk = new Int32Array(0);
  private queueChunk = new Int32Array(0);
  private nonResidentChunk = new Int32Array(0);
  private readonly chunks = new ChunkModel();

  constructor(params: Readonly<Record<string, number>>, context: PolicyContext) {
    this.capacity = context.capacity;
    // Truncation toward zero, as libCacheSim's uint64_t conversion does.
    this.hirLimit = Math.max(1, Math.trunc(params.hir * context.capacity));
    this.lirLimit = context.capacity - this.hirLimit;
    this.residency = context.residency;
  }

  grow(handleCapacity: number): void {
    if (handleCapacity <= this.handleSlot.length) return;
    const grown = new Int32Array(Math.max(handleCapacity, this.handleSlot.length * 2)).fill(NO_SLOT);
    grown.set(this.handleSlot);
    this.handleSlot = grown;
  }

  request(handle: number, key: number, size: number): boolean {
    let slot = this.table.get(key);
    if (slot !== NO_SLOT) this.bindHandle(slot, handle);
    const inStack = slot !== NO_SLOT && this.stack.has(slot);
    const inQueue = slot !== NO_SLOT && this.queue.has(slot);

    // Lookup: both lists move the object to their head, resident or not.
    if (inStack) this.stack.moveToHead(slot);
    if (inQueue) this.queue.moveToHead(slot);

    let hit = false;
    if (inStack) {
      if (this.isLir[slot] === 1) {
        this.prune();
        hit = true;
      } else if (this.inCache[slot] === 1) {
        this.hitHirInStack(slot, inQueue);
        hit = true;
      }
    } else if (inQueue) {
      this.hitHirInQueueOnly(key, handle);
      hit = true;
    }

    if (!hit && this.canInsert(key, size)) {
      while (this.occupied + size > this.capacity) {
        const before = this.occupied;
        this.makeRoom(key, size);
        // libCacheSim would loop forever here; stop instead and leave the object out.
        if (this.occupied === before) break;
      }
      if (this.occupied + size <= this.capacity) this.insertObject(key, handle, size);
    }

    this.limitStack();
    return hit;
  }

  onHit(): void {
    // Unused: the cache routes hits to `request`.
  }

  admit(): boolean {
    return true;
  }

  evict(): number {
    // Unused: the cache routes inserts to `request`, which evicts as it goes.
    return -1;
  }

  insert(): void {
    // Unused: the cache routes inserts to `request`.
  }

  remove(handle: number): void {
    const slot = this.handleSlot[handle];
    if (slot === NO_SLOT) return;
    const size = this.slotSize[slot];
    if (this.stack.has(slot)) {
      const wasLir = this.isLir[slot] === 1;
      if (wasLir) this.lirUsed -= size;
      else if (this.inCache[slot] === 1) this.hirUsed -= size;
      else this.nonResidentSize -= size;
      if (wasLir || this.inCache[slot] === 1) this.occupied -= size;
      this.unlinkStack(slot);
      if (this.queue.has(slot)) this.unlinkQueue(slot);
      if (this.nonResident.has(slot)) this.unlinkNonResident(slot);
      if (wasLir) this.prune();
    } else if (this.queue.has(slot)) {
      this.unlinkQueue(slot);
      this.hirUsed -= size;
      this.occupied -= size;
    }
    // The cache drops the handle itself, so this is not reported as an eviction.
    this.reported[slot] = 0;
    this.releaseIfUnused(slot);
  }

  /** Makes a hit resident HIR object in S an LIR object, demoting LIR objects while the LIR share is full. */
  private hitHirInStack(slot: number, inQueue: boolean): void {
    const size = this.slotSize[slot];
    if (inQueue) {
      this.hirUsed -= size;
      this.unlinkQueue(slot);
      this.occupied -= size;
    }
    while (this.lirUsed + size > this.lirLimit && this.stack.tail !== NO_SLOT) this.evictLir();
    this.isLir[slot] = 1;
    this.lirUsed += size;
    this.occupied += size;
    this.sync(slot);
  }

  /** Records a hit on a resident HIR object found only in Q, which re-enters S as resident HIR. */
  private hitHirInQueueOnly(key: number, handle: number): void {
    let slot = this.table.get(key);
    const size = this.slotSize[slot];
    // libCacheSim re-reads the size through its pointer to the Q entry on every pass, even after a
    // demotion has evicted that entry, so a later entry reusing the memory supplies the size.
    const queueChunk = this.queueChunk[slot];
    while (this.lirUsed + this.chunks.sizeOf(queueChunk) > this.lirLimit && this.stack.tail !== NO_SLOT) this.evictLir();
    // The demotions above may have evicted the object from Q; S records it as resident regardless.
    slot = this.slotFor(key, handle, size);
    this.pushStack(slot);
    this.isLir[slot] = 0;
    this.inCache[slot] = 1;
    this.sync(slot);
  }

  /** Checks admission as libCacheSim's can_insert does, which also demotes and evicts to prepare room. */
  private canInsert(key: number, size: number): boolean {
    if (size > this.capacity) return false;
    const slot = this.table.get(key);
    const inStack = slot !== NO_SLOT && this.stack.has(slot);
    const inQueue = slot !== NO_SLOT && this.queue.has(slot);

    if (inStack && this.isLir[slot] === 0 && this.inCache[slot] === 0) {
      const stackSize = this.slotSize[slot];
      while (this.lirUsed + stackSize > this.lirLimit && this.stack.tail !== NO_SLOT) this.evictLir();
      if (this.nonResident.has(slot)) {
        this.unlinkNonResident(slot);
        this.nonResidentSize -= stackSize;
      }
      return true;
    }
    if (!inStack && !inQueue) {
      if (size > this.lirLimit || size > this.hirLimit) return false;
      if (this.lirUsed + size > this.lirLimit && this.hirUsed + size > this.hirLimit) {
        while (this.hirUsed + size > this.hirLimit && this.evictHir());
      }
      return true;
    }
    return false;
  }

  /** Runs one step of libCacheSim's evict, called while the object does not fit. */
  private makeRoom(key: number, size: number): void {
    const slot = this.table.get(key);
    const inStack = slot !== NO_SLOT && this.stack.has(slot);
    const inQueue = slot !== NO_SLOT && this.queue.has(slot);
    if (inStack && this.isLir[slot] === 0 && this.inCache[slot] === 0) {
      while (this.hirUsed >= this.hirLimit && this.evictHir());
      this.evictLir();
    }
    if (!inStack && !inQueue && this.lirUsed + size > this.lirLimit && this.hirUsed + size > this.hirLimit) {
      this.evictHir();
    }
  }

  private insertObject(key: number, handle: number, size: number): void {
    let slot = this.table.get(key);
    const inStack = slot !== NO_SLOT && this.stack.has(slot);
    const inQueue = slot !== NO_SLOT && this.queue.has(slot);

    if (inStack && this.isLir[slot] === 0 && this.inCache[slot] === 0) {
      // A non-resident HIR object in S becomes LIR (it is already at S's head).
      this.isLir[slot] = 1;
      this.inCache[slot] = 1;
      this.lirUsed += this.slotSize[slot];
      this.occupied += this.slotSize[slot];
      this.sync(slot);
      return;
    }
    if (inStack || inQueue) return;

    slot = this.slotFor(key, handle, size);
    this.pushStack(slot);
    this.inCache[slot] = 1;
    if (this.lirUsed + size <= this.lirLimit) {
      this.isLir[slot] = 1;
      this.lirUsed += size;
    } else {
      this.isLir[slot] = 0;
      this.pushQueue(slot);
      this.hirUsed += size;
    }
    this.occupied += size;
    this.sync(slot);
  }

  /** Moves S's bottom object into Q as resident HIR (or out of the cache if too large for Q), then prunes. */
  private evictLir(): void {
    const slot = this.stack.tail;
    if (slot === NO_SLOT) return;
    const size = this.slotSize[slot];
    this.lirUsed -= size;
    this.unlinkStack(slot);
    this.occupied -= size;
    this.isLir[slot] = 0;

    if (size <= this.hirLimit) {
      while (this.hirUsed + size > this.hirLimit && this.evictHir());
      this.pushQueue(slot);
      this.inCache[slot] = 1;
      this.hirUsed += size;
      this.occupied += size;
    }
    this.sync(slot);
    this.releaseIfUnused(slot);
    this.prune();
  }

  /** Evicts Q's oldest object; its S entry, if any, becomes non-resident history. Returns false when Q is empty. */
  private evictHir(): boolean {
    const slot = this.queue.tail;
    if (slot === NO_SLOT) return false;
    const size = this.slotSize[slot];
    this.hirUsed -= size;
    this.unlinkQueue(slot);
    if (this.stack.has(slot)) {
      this.inCache[slot] = 0;
      if (this.nonResident.has(slot)) this.unlinkNonResident(slot);
      this.pushNonResident(slot);
      this.nonResidentSize += size;
    }
    this.occupied -= size;
    this.sync(slot);
    this.releaseIfUnused(slot);
    return true;
  }

  /** Drops HIR entries from S's bottom until an LIR object is there (S's head is never dropped). */
  private prune(): void {
    let slot = this.stack.tail;
    while (slot !== this.stack.head) {
      if (this.isLir[slot] === 1) break;
      if (this.inCache[slot] === 0 && this.nonResident.has(slot)) {
        this.unlinkNonResident(slot);
        this.nonResidentSize -= this.slotSize[slot];
      }
      this.unlinkStack(slot);
      this.sync(slot);
      this.releaseIfUnused(slot);
      slot = this.stack.tail;
    }
  }

  /** Trims the oldest non-resident history while S contains more than twice the capacity. */
  private limitStack(): void {
    while (this.stackUsed > 2 * this.capacity) {
      const slot = this.nonResident.tail;
      if (slot === NO_SLOT) break;
      this.nonResidentSize -= this.slotSize[slot];
      if (this.stack.has(slot)) this.unlinkStack(slot);
      this.unlinkNonResident(slot);
      this.releaseIfUnused(slot);
    }
  }

  private pushStack(slot: number): void {
    this.stack.pushHead(slot);
    this.stackUsed += this.slotSize[slot];
    this.stackChunk[slot] = this.chunks.allocate(this.slotSize[slot]);
  }

  private unlinkStack(slot: number): void {
    this.stack.unlink(slot);
    this.stackUsed -= this.slotSize[slot];
    this.chunks.free(this.stackChunk[slot]);
  }

  private pushQueue(slot: number): void {
    this.queue.pushHead(slot);
    this.queueChunk[slot] = this.chunks.allocate(this.slotSize[slot]);
  }

  private unlinkQueue(slot: number): void {
    this.queue.unlink(slot);
    this.chunks.free(this.queueChunk[slot]);
  }

  private pushNonResident(slot: number): void {
    this.nonResident.pushHead(slot);
    this.nonResidentChunk[slot] = this.chunks.allocate(this.slotSize[slot]);
  }

  private unlinkNonResident(slot: number): void {
    this.nonResident.unlink(slot);
    this.chunks.free(this.nonResidentChunk[slot]);
  }

  /** Reports to the cache when the slot's object starts or stops counting toward the occupied size. */
  private sync(slot: number): void {
    const counted = (this.stack.has(slot) && this.isLir[slot] === 1) || this.queue.has(slot) ? 1 : 0;
    if (counted === this.reported[slot]) return;
    this.reported[slot] = counted;
    if (counted === 1) this.residency.added(this.slotHandle[slot], this.slotSize[slot]);
    else this.residency.evicted(this.slotHandle[slot]);
  }

  private bindHandle(slot: number, handle: number): void {
    const previous = this.slotHandle[slot];
    if (previous === handle) return;
    if (previous >= 0 && this.handleSlot[previous] === slot) this.handleSlot[previous] = NO_SLOT;
    this.slotHandle[slot] = handle;
    this.handleSlot[handle] = slot;
  }

  /** Returns the slot for `key`, creating it when the object is unknown. */
  private slotFor(key: number, handle: number, size: number): number {
    const existing = this.table.get(key);
    if (existing !== NO_SLOT) return existing;
    const slot = this.allocate();
    this.slotKey[slot] = key;
    this.slotSize[slot] = size;
    this.slotHandle[slot] = -1;
    this.isLir[slot] = 0;
    this.inCache[slot] = 0;
    this.reported[slot] = 0;
    this.table.set(key, slot);
    this.bindHandle(slot, handle);
    return slot;
  }

  private releaseIfUnused(slot: number): void {
    if (this.stack.has(slot) || this.queue.has(slot) || this.nonResident.has(slot)) return;
    if (this.reported[slot] === 1) return;
    this.table.delete(this.slotKey[slot]);
    const handle = this.slotHandle[slot];
    if (handle >= 0 && this.handleSlot[handle] === slot) this.handleSlot[handle] = NO_SLOT;
    this.freeSlots[this.freeCount++] = slot;
  }

  private allocate(): number {
    if (this.freeCount > 0) return this.freeSlots[--this.freeCount];
    const slot = this.slotCount++;
    if (slot >= this.slotKey.length) this.growSlots(Math.max(16, this.slotKey.length * 2));
    return slot;
  }

  private growSlots(size: number): void {
    const copy = <T extends Float64Array | Int32Array | Uint8Array>(array: T, grown: T): T => {
      grown.set(array);
      return grown;
    };
    this.slotKey = copy(this.slotKey, new Float64Array(size));
    this.slotHandle = copy(this.slotHandle, new Int32Array(size));
    this.slotSize = copy(this.slotSize, new Float64Array(size));
    this.isLir = copy(this.isLir, new Uint8Array(size));
    this.inCache = copy(this.inCache, new Uint8Array(size));
    this.reported = copy(this.reported, new Uint8Array(size));
    this.freeSlots = copy(this.freeSlots, new Int32Array(size));
    this.stackChunk = copy(this.stackChunk, new Int32Array(size));
    this.queueChunk = copy(this.queueChunk, new Int32Array(size));
    this.nonResidentChunk = copy(this.nonResidentChunk, new Int32Array(size));
    this.stack.grow(size);
    this.queue.grow(size);
    this.nonResident.grow(size);
  }
}

/**
 * A model of the memory libCacheSim allocates for list entries, kept only to reproduce one read of a
 * freed entry (see `hitHirInQueueOnly`). Each entry of S, Q or NH occupies a chunk. A freed chunk
 * keeps its last size, and the next allocation reuses the most recently freed chunk, approximating
 * glibc's last-in first-out free lists for one size. NOTE: glibc's per-thread cache holds only 7
 * chunks per size, which this model ignores; it reproduces every LIRS count on the reference trace.
 */
class ChunkModel {
  private sizes = new Float64Array(64);
  private freeChunks = new Int32Array(64);
  private freeCount = 0;
  private count = 0;

  allocate(size: number): number {
    let chunk: number;
    if (this.freeCount > 0) chunk = this.freeChunks[--this.freeCount];
    else {
      chunk = this.count++;
      if (chunk >= this.sizes.length) {
        const sizes = new Float64Array(this.sizes.length * 2);
        const freeChunks = new Int32Array(this.sizes.length * 2);
        sizes.set(this.sizes);
        freeChunks.set(this.freeChunks);
        this.sizes = sizes;
        this.freeChunks = freeChunks;
      }
    }
    this.sizes[chunk] = size;
    return chunk;
  }

  free(chunk: number): void {
    this.freeChunks[this.freeCount++] = chunk;
  }

  sizeOf(chunk: number): number {
    return this.sizes[chunk];
  }
}

export const lirs: PolicyDefinition = {
  name: 'lirs',
  description: 'LIRS (Jiang and Zhang, SIGMETRICS 2002): ranks objects by inter-reference recency, keeping a small HIR set.',
  parameters: [
    { name: 'hir', description: 'share of the capacity given to resident HIR objects (at least 1 unit)', defaultValue: 0.01, min: 0, max: 1 },
  ],
  readsBlockFacts: false,
  create: (params, context) => new Lirs(params, context),
  largestObjectShare: (params) => params.hir,
};
