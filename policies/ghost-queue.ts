// A queue of ghost entries: the keys and sizes of objects a policy has evicted but still remembers
// (ARC's B1 and B2, S3-FIFO's ghost FIFO, 2Q's Aout). Entries are keyed by the object's key, not
// its handle, because the KV store recycles handles. New entries enter at the head and the oldest
// leaves at the tail. Slots live in typed arrays with a stack of free slots, so steady-state use
// allocates nothing.

import { DoublyLinkedList } from './list.js';
import { KeyTable } from './key-table.js';

export class GhostQueue {
  /** Sum of the sizes of the entries, in the unit of the cache. */
  usedSize = 0;
  private readonly order = new DoublyLinkedList();
  private readonly table = new KeyTable();
  private keys = new Float64Array(0);
  private sizes = new Float64Array(0);
  private freeSlots = new Int32Array(0);
  private freeCount = 0;
  private slotCount = 0;

  /**
   * @param capacity the largest total size kept by `addBounded`; Infinity for a queue whose owner
   * trims it explicitly (ARC).
   */
  constructor(readonly capacity: number = Number.POSITIVE_INFINITY) {}

  get length(): number {
    return this.order.length;
  }

  has(key: number): boolean {
    return this.table.get(key) !== -1;
  }

  /** Removes the entry for `key`; returns whether there was one. */
  delete(key: number): boolean {
    const slot = this.table.get(key);
    if (slot === -1) return false;
    this.release(slot);
    return true;
  }

  /** Adds `key` at the head without regard to the capacity. */
  pushHead(key: number, size: number): void {
    const slot = this.allocate();
    this.keys[slot] = key;
    this.sizes[slot] = size;
    this.table.set(key, slot);
    this.order.pushHead(slot);
    this.usedSize += size;
  }

  /**
   * Adds `key` at the head after dropping the oldest entries until it fits, as libCacheSim's ghost
   * FIFO (itself a FIFO cache) does. An entry larger than the capacity is not kept.
   */
  addBounded(key: number, size: number): void {
    if (this.has(key)) return;
    if (size > this.capacity) return;
    while (this.usedSize + size > this.capacity) this.dropTail();
    this.pushHead(key, size);
  }

  /** Removes the oldest entry; returns false when the queue is empty. */
  dropTail(): boolean {
    const slot = this.order.tail;
    if (slot === -1) return false;
    this.release(slot);
    return true;
  }

  private allocate(): number {
    if (this.freeCount > 0) return this.freeSlots[--this.freeCount];
    const slot = this.slotCount++;
    if (slot >= this.keys.length) {
      const capacity = Math.max(16, this.keys.length * 2);
      const keys = new Float64Array(capacity);
      const sizes = new Float64Array(capacity);
      const freeSlots = new Int32Array(capacity);
      keys.set(this.keys);
      sizes.set(this.sizes);
      freeSlots.set(this.freeSlots);
      this.keys = keys;
      this.sizes = sizes;
      this.freeSlots = freeSlots;
      this.order.grow(capacity);
    }
    return slot;
  }

  private release(slot: number): void {
    this.order.unlink(slot);
    this.table.delete(this.keys[slot]);
    this.usedSize -= this.sizes[slot];
    this.freeSlots[this.freeCount++] = slot;
  }
}
