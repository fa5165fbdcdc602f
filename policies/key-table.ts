// A hash map from integer keys (object ids or block ids, exact in a double up to 2^53) to int32
// slots, with open addressing and linear probing in typed arrays. Policies use it for entries that
// outlive a resident's handle (ghosts, LIRS's non-resident history), because the KV store recycles
// a handle once its block has left every tier while the block's key stays the same. Deletion moves
// later entries of the probe run back instead of leaving tombstones, so nothing is allocated per
// operation except when the table doubles.

const NO_SLOT = -1;

export class KeyTable {
  size = 0;
  private keys: Float64Array;
  private slots: Int32Array;
  private mask: number;

  constructor(initialCapacity = 64) {
    let capacity = 16;
    while (capacity < initialCapacity * 2) capacity *= 2;
    this.keys = new Float64Array(capacity);
    this.slots = new Int32Array(capacity).fill(NO_SLOT);
    this.mask = capacity - 1;
  }

  /** Returns the slot stored for `key`, or -1. */
  get(key: number): number {
    let index = hashKey(key) & this.mask;
    for (;;) {
      const slot = this.slots[index];
      if (slot === NO_SLOT) return NO_SLOT;
      if (this.keys[index] === key) return slot;
      index = (index + 1) & this.mask;
    }
  }

  /** Stores `slot` for `key`, replacing any slot stored before. */
  set(key: number, slot: number): void {
    if ((this.size + 1) * 2 > this.slots.length) this.resize(this.slots.length * 2);
    let index = hashKey(key) & this.mask;
    for (;;) {
      const current = this.slots[index];
      if (current === NO_SLOT) {
        this.keys[index] = key;
        this.slots[index] = slot;
        this.size++;
        return;
      }
      if (this.keys[index] === key) {
        this.slots[index] = slot;
        return;
      }
      index = (index + 1) & this.mask;
    }
  }

  /** Removes `key`; returns whether it was present. */
  delete(key: number): boolean {
    const mask = this.mask;
    let index = hashKey(key) & mask;
    for (;;) {
      if (this.slots[index] === NO_SLOT) return false;
      if (this.keys[index] === key) break;
      index = (index + 1) & mask;
    }
    // Backward-shift deletion: move each later entry of the run into the hole when the hole lies
    // on its probe path (between its home bucket and its current bucket, cyclically).
    let hole = index;
    let next = (hole + 1) & mask;
    while (this.slots[next] !== NO_SLOT) {
      const home = hashKey(this.keys[next]) & mask;
      const distanceToNext = (next - home) & mask;
      const distanceToHole = (hole - home) & mask;
      if (distanceToHole < distanceToNext) {
        this.keys[hole] = this.keys[next];
        this.slots[hole] = this.slots[next];
        hole = next;
      }
      next = (next + 1) & mask;
    }
    this.slots[hole] = NO_SLOT;
    this.size--;
    return true;
  }

  private resize(capacity: number): void {
    const oldKeys = this.keys;
    const oldSlots = this.slots;
    this.keys = new Float64Array(capacity);
    this.slots = new Int32Array(capacity).fill(NO_SLOT);
    this.mask = capacity - 1;
    this.size = 0;
    for (let index = 0; index < oldSlots.length; index++) {
      if (oldSlots[index] !== NO_SLOT) this.set(oldKeys[index], oldSlots[index]);
    }
  }
}

/** Mixes both 32-bit halves of an integer-valued double into a 32-bit hash (murmur3's finaliser). */
function hashKey(key: number): number {
  const low = key >>> 0;
  const high = Math.floor(key / 4294967296) >>> 0;
  let hash = Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash;
}
