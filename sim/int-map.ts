// A hash map from non-negative integer keys below 2^53 (block ids) to non-negative int32 values
// (handles), with open addressing and linear probing in typed arrays. Deletion shifts the following
// entries back instead of leaving tombstones, so lookups stay short however many blocks come and
// go. Nothing is allocated per operation except when the table doubles.

const EMPTY = -1;

export class IntMap {
  private keys: Float64Array;
  private values: Int32Array;
  private mask: number;
  size = 0;

  constructor(initialCapacity = 1024) {
    let capacity = 16;
    while (capacity < initialCapacity * 2) capacity *= 2;
    this.keys = new Float64Array(capacity).fill(EMPTY);
    this.values = new Int32Array(capacity);
    this.mask = capacity - 1;
  }

  /** Returns the value stored for `key`, or -1. */
  get(key: number): number {
    const keys = this.keys;
    let slot = this.slotOf(key);
    for (;;) {
      const stored = keys[slot];
      if (stored === key) return this.values[slot];
      if (stored === EMPTY) return -1;
      slot = (slot + 1) & this.mask;
    }
  }

  set(key: number, value: number): void {
    if ((this.size + 1) * 2 > this.keys.length) this.rehash(this.keys.length * 2);
    const keys = this.keys;
    let slot = this.slotOf(key);
    for (;;) {
      const stored = keys[slot];
      if (stored === key) {
        this.values[slot] = value;
        return;
      }
      if (stored === EMPTY) {
        keys[slot] = key;
        this.values[slot] = value;
        this.size++;
        return;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** Removes `key`; returns whether it was present. */
  delete(key: number): boolean {
    const keys = this.keys;
    const values = this.values;
    const mask = this.mask;
    let slot = this.slotOf(key);
    for (;;) {
      const stored = keys[slot];
      if (stored === EMPTY) return false;
      if (stored === key) break;
      slot = (slot + 1) & mask;
    }
    // Backward-shift deletion: move each later entry of the probe run into the hole when its home
    // slot does not lie cyclically between the hole and its current slot.
    let hole = slot;
    let next = (hole + 1) & mask;
    while (keys[next] !== EMPTY) {
      const home = this.slotOf(keys[next]);
      const between = hole <= next ? hole < home && home <= next : hole < home || home <= next;
      if (!between) {
        keys[hole] = keys[next];
        values[hole] = values[next];
        hole = next;
      }
      next = (next + 1) & mask;
    }
    keys[hole] = EMPTY;
    this.size--;
    return true;
  }

  // Mixes the key's low and high 32-bit halves (keys may exceed 2^32) with multiplicative hashing.
  private slotOf(key: number): number {
    const low = key >>> 0;
    const high = (key / 4294967296) >>> 0;
    let hash = Math.imul(low ^ Math.imul(high, 0x27d4eb2d), 0x9e3779b1);
    hash ^= hash >>> 15;
    hash = Math.imul(hash, 0x85ebca77);
    hash ^= hash >>> 13;
    return hash & this.mask;
  }

  private rehash(capacity: number): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    this.keys = new Float64Array(capacity).fill(EMPTY);
    this.values = new Int32Array(capacity);
    this.mask = capacity - 1;
    this.size = 0;
    for (let slot = 0; slot < oldKeys.length; slot++) {
      if (oldKeys[slot] !== EMPTY) this.set(oldKeys[slot], oldValues[slot]);
    }
  }
}
