// A hash map from integer keys in [0, 2^53) to int32 values, in two typed arrays with open
// addressing and linear probing. A removal moves later entries of its probe run back into the
// hole instead of leaving a tombstone, so a map whose keys keep changing (active sessions) stays
// short to probe and allocates nothing except when it doubles.

const EMPTY = -1;
const TWO_POW_32 = 4_294_967_296;

export class IdMap {
  size = 0;
  private keys: Float64Array;
  private values: Int32Array;
  private mask: number;

  constructor(initialCapacity = 1024) {
    let capacity = 16;
    while (capacity < initialCapacity * 2) capacity *= 2;
    this.keys = new Float64Array(capacity).fill(EMPTY);
    this.values = new Int32Array(capacity);
    this.mask = capacity - 1;
  }

  /** Returns the value of `key`, or -1 when it is absent. */
  get(key: number): number {
    let slot = this.home(key);
    for (;;) {
      const stored = this.keys[slot];
      if (stored === key) return this.values[slot];
      if (stored === EMPTY) return -1;
      slot = (slot + 1) & this.mask;
    }
  }

  set(key: number, value: number): void {
    if ((this.size + 1) * 2 > this.keys.length) this.resize(this.keys.length * 2);
    let slot = this.home(key);
    for (;;) {
      const stored = this.keys[slot];
      if (stored === key) {
        this.values[slot] = value;
        return;
      }
      if (stored === EMPTY) {
        this.keys[slot] = key;
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
    const mask = this.mask;
    let hole = this.home(key);
    for (;;) {
      const stored = keys[hole];
      if (stored === EMPTY) return false;
      if (stored === key) break;
      hole = (hole + 1) & mask;
    }
    // An entry after the hole may move into it when its home slot is not cyclically within
    // (hole, current slot], because a lookup for it then passes the hole.
    let next = (hole + 1) & mask;
    while (keys[next] !== EMPTY) {
      const home = this.home(keys[next]);
      const reachable = hole <= next ? hole < home && home <= next : hole < home || home <= next;
      if (!reachable) {
        keys[hole] = keys[next];
        this.values[hole] = this.values[next];
        hole = next;
      }
      next = (next + 1) & mask;
    }
    keys[hole] = EMPTY;
    this.size--;
    return true;
  }

  private home(key: number): number {
    const low = key >>> 0;
    const high = Math.floor(key / TWO_POW_32) >>> 0;
    let h = Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h & this.mask;
  }

  private resize(capacity: number): void {
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
