// LFU (least frequently used), as in libCacheSim's LFU.c. An object's frequency counts its requests
// while resident: it starts at 1 on insertion and is forgotten on eviction. The victim has the
// lowest frequency, and among equals the object that reached that frequency first. Objects are kept
// in one FIFO bucket per frequency, linked through typed arrays indexed by handle and by frequency,
// so an access is O(1) and allocates nothing once the arrays have grown to the largest frequency.

import type { EvictionPolicy, PolicyDefinition } from './policy.js';

const NONE = -1;

class Lfu implements EvictionPolicy {
  private frequency = new Int32Array(0);
  private prev = new Int32Array(0);
  private next = new Int32Array(0);
  /** Oldest and newest member of each frequency's bucket, indexed by frequency. */
  private bucketFirst = new Int32Array(16).fill(NONE);
  private bucketLast = new Int32Array(16).fill(NONE);
  /** Lowest frequency with a non-empty bucket, valid while the cache is not empty. */
  private minFrequency = 1;
  private residentCount = 0;

  grow(handleCapacity: number): void {
    if (handleCapacity <= this.frequency.length) return;
    const size = Math.max(handleCapacity, this.frequency.length * 2);
    this.frequency = growInt32(this.frequency, size, 0);
    this.prev = growInt32(this.prev, size, NONE);
    this.next = growInt32(this.next, size, NONE);
  }

  onHit(handle: number): void {
    const from = this.frequency[handle];
    const to = from + 1;
    this.unlink(handle, from);
    this.frequency[handle] = to;
    this.append(handle, to);
    if (this.minFrequency === from && this.bucketFirst[from] === NONE) this.minFrequency = to;
  }

  admit(): boolean {
    return true;
  }

  evict(): number {
    if (this.residentCount === 0) return NONE;
    const from = this.minFrequency;
    const victim = this.bucketFirst[from];
    this.unlink(victim, from);
    this.frequency[victim] = 0;
    this.residentCount--;
    if (this.bucketFirst[from] === NONE) this.advanceMinFrequency();
    return victim;
  }

  insert(handle: number): void {
    this.frequency[handle] = 1;
    this.append(handle, 1);
    this.minFrequency = 1;
    this.residentCount++;
  }

  remove(handle: number): void {
    const from = this.frequency[handle];
    if (from === 0) return;
    this.unlink(handle, from);
    this.frequency[handle] = 0;
    this.residentCount--;
    if (from === this.minFrequency && this.bucketFirst[from] === NONE) this.advanceMinFrequency();
  }

  /** Moves `minFrequency` up to the next non-empty bucket, scanning as libCacheSim does. */
  private advanceMinFrequency(): void {
    if (this.residentCount === 0) return;
    let candidate = this.minFrequency + 1;
    while (this.bucketFirst[candidate] === NONE) candidate++;
    this.minFrequency = candidate;
  }

  private append(handle: number, frequency: number): void {
    if (frequency >= this.bucketFirst.length) {
      const size = this.bucketFirst.length * 2;
      this.bucketFirst = growInt32(this.bucketFirst, size, NONE);
      this.bucketLast = growInt32(this.bucketLast, size, NONE);
    }
    const last = this.bucketLast[frequency];
    this.prev[handle] = last;
    this.next[handle] = NONE;
    if (last === NONE) this.bucketFirst[frequency] = handle;
    else this.next[last] = handle;
    this.bucketLast[frequency] = handle;
  }

  private unlink(handle: number, frequency: number): void {
    const before = this.prev[handle];
    const after = this.next[handle];
    if (before === NONE) this.bucketFirst[frequency] = after;
    else this.next[before] = after;
    if (after === NONE) this.bucketLast[frequency] = before;
    else this.prev[after] = before;
    this.prev[handle] = NONE;
    this.next[handle] = NONE;
  }
}

function growInt32(array: Int32Array, size: number, fill: number): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(size).fill(fill);
  grown.set(array);
  return grown;
}

export const lfu: PolicyDefinition = {
  name: 'lfu',
  description: 'Least frequently used: evicts the lowest request count since insertion, oldest first among equals.',
  parameters: [],
  readsBlockFacts: false,
  create: () => new Lfu(),
};
