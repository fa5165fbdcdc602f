// A hash map from integer keys in [0, 2^53) to numbers, in one Float64Array of slots with open
// addressing and linear probing. Slot s stores its key at 2s and its value at 2s + 1, so a lookup
// reads one cache line where separate key and value arrays would read two. A removal moves later
// entries of its probe run back into the hole instead of leaving a tombstone, so a map whose keys
// keep changing (active sessions) stays short to probe and allocates nothing except when it doubles.

const EMPTY = -1;
const TWO_POW_32 = 4_294_967_296;

export class IdMap {
  size = 0;
  private entries: Float64Array;
  private mask: number;

  constructor(initialCapacity = 1024) {
    let capacity = 16;
    while (capacity < initialCapacity * 2) capacity *= 2;
    this.entries = emptyEntries(capacity);
    this.mask = capacity - 1;
  }

  /** Returns the value of `key`, or -1 when it is absent. */
  get(key: number): number {
    const entries = this.entries;
    let slot = this.home(key);
    for (;;) {
      const stored = entries[2 * slot];
      if (stored === key) return entries[2 * slot + 1];
      if (stored === EMPTY) return -1;
      slot = (slot + 1) & this.mask;
    }
  }

  set(key: number, value: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.resize(2 * (this.mask + 1));
    const entries = this.entries;
    let slot = this.home(key);
    for (;;) {
      const stored = entries[2 * slot];
      if (stored === key) {
        entries[2 * slot + 1] = value;
        return;
      }
      if (stored === EMPTY) {
        entries[2 * slot] = key;
        entries[2 * slot + 1] = value;
        this.size++;
        return;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** Removes `key`; returns whether it was present. */
  delete(key: number): boolean {
    const entries = this.entries;
    const mask = this.mask;
    let hole = this.home(key);
    for (;;) {
      const stored = entries[2 * hole];
      if (stored === EMPTY) return false;
      if (stored === key) break;
      hole = (hole + 1) & mask;
    }
    // An entry after the hole may move into it when its home slot is not cyclically within
    // (hole, current slot], because a lookup for it then passes the hole.
    let next = (hole + 1) & mask;
    for (;;) {
      const stored = entries[2 * next];
      if (stored === EMPTY) break;
      const home = this.home(stored);
      const reachable = hole <= next ? hole < home && home <= next : hole < home || home <= next;
      if (!reachable) {
        entries[2 * hole] = stored;
        entries[2 * hole + 1] = entries[2 * next + 1];
        hole = next;
      }
      next = (next + 1) & mask;
    }
    entries[2 * hole] = EMPTY;
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
    const old = this.entries;
    this.entries = emptyEntries(capacity);
    this.mask = capacity - 1;
    this.size = 0;
    for (let slot = 0; slot < old.length; slot += 2) {
      if (old[slot] !== EMPTY) this.set(old[slot], old[slot + 1]);
    }
  }
}

// Slots for `capacity` entries, all empty.
function emptyEntries(capacity: number): Float64Array {
  const entries = new Float64Array(2 * capacity);
  for (let slot = 0; slot < entries.length; slot += 2) entries[slot] = EMPTY;
  return entries;
}
