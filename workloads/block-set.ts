// A set of block ids (integers in [0, 2^53)) in one open-addressing table of doubles, with two flag
// bits per id, for the infinite-cache statistics of long traces. It takes 9 bytes per slot and
// keeps at most half the slots full, so about 18 to 36 bytes per distinct id, against about
// 80 for a JavaScript Set.

const EMPTY = -1;
const INITIAL_SLOTS = 1 << 12;
const TWO_POW_32 = 4_294_967_296;

export class BlockIdSet {
  /** Distinct ids in the set. */
  size = 0;
  private slots = new Float64Array(INITIAL_SLOTS).fill(EMPTY);
  private flags = new Uint8Array(INITIAL_SLOTS);
  private mask = INITIAL_SLOTS - 1;

  /**
   * Adds `id` with the bits of `flag` and returns the flags it had before (0 when it was absent).
   */
  add(id: number, flag: number): number {
    let slot = hashId(id) & this.mask;
    for (;;) {
      const current = this.slots[slot];
      if (current === id) {
        const before = this.flags[slot];
        this.flags[slot] = before | flag;
        return before;
      }
      if (current === EMPTY) break;
      slot = (slot + 1) & this.mask;
    }
    this.slots[slot] = id;
    this.flags[slot] = flag;
    this.size++;
    if (this.size * 2 > this.slots.length) this.grow();
    return 0;
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.slots.byteLength + this.flags.byteLength;
  }

  private grow(): void {
    const oldSlots = this.slots;
    const oldFlags = this.flags;
    const capacity = oldSlots.length * 2;
    this.slots = new Float64Array(capacity).fill(EMPTY);
    this.flags = new Uint8Array(capacity);
    this.mask = capacity - 1;
    for (let index = 0; index < oldSlots.length; index++) {
      const id = oldSlots[index];
      if (id === EMPTY) continue;
      let slot = hashId(id) & this.mask;
      while (this.slots[slot] !== EMPTY) slot = (slot + 1) & this.mask;
      this.slots[slot] = id;
      this.flags[slot] = oldFlags[index];
    }
  }
}

// Mixes both 32-bit halves of the id, so that small sequential ids (Mooncake's) and hashed ids
// both spread over the table.
function hashId(id: number): number {
  const low = id >>> 0;
  const high = Math.floor(id / TWO_POW_32) >>> 0;
  let h = Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
