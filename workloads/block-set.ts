// A set of block ids (integers in [0, 2^53)) with two flag bits per id, for the infinite-cache
// statistics of long traces. Ids live in 16 open-addressing tables of doubles chosen by hash. Each
// table is kept at most three quarters full and grows by half when it passes that. The set
// therefore takes 11 to 16 bytes per distinct id, or 12 to 18 once a flag other than the first is
// used, against about 80 for a JavaScript Set. Growing one table at a time keeps the transient
// copy small.

const EMPTY = -1;
const SEGMENTS = 16;
const INITIAL_SLOTS = 256;
const TWO_POW_32 = 4_294_967_296;

/** The flag that every id has until `add` is called with another. */
export const FIRST_FLAG = 1;

class Segment {
  size = 0;
  slots = new Float64Array(INITIAL_SLOTS).fill(EMPTY);
  // Flags of each slot, allocated on the first flag other than FIRST_FLAG.
  flags: Uint8Array | null = null;
}

export class BlockIdSet {
  /** Distinct ids in the set. */
  size = 0;
  private readonly segments = Array.from({ length: SEGMENTS }, () => new Segment());

  /** Adds `id` with the bits of `flag` and returns the flags it had before (0 when it was absent). */
  add(id: number, flag: number): number {
    const hash = hashId(id);
    const segment = this.segments[hash >>> 28];
    if (segment.flags === null && flag !== FIRST_FLAG) segment.flags = new Uint8Array(segment.slots.length).fill(FIRST_FLAG);
    const slots = segment.slots;
    let slot = hash % slots.length;
    for (;;) {
      const current = slots[slot];
      if (current === id) {
        if (segment.flags === null) return FIRST_FLAG;
        const before = segment.flags[slot];
        segment.flags[slot] = before | flag;
        return before;
      }
      if (current === EMPTY) break;
      slot = slot + 1 === slots.length ? 0 : slot + 1;
    }
    slots[slot] = id;
    if (segment.flags !== null) segment.flags[slot] = flag;
    segment.size++;
    this.size++;
    if (segment.size * 4 > slots.length * 3) grow(segment);
    return 0;
  }

  /** Bytes held by the tables. */
  get bytes(): number {
    return this.segments.reduce((sum, segment) => sum + segment.slots.byteLength + (segment.flags?.byteLength ?? 0), 0);
  }
}

function grow(segment: Segment): void {
  const oldSlots = segment.slots;
  const oldFlags = segment.flags;
  const capacity = Math.floor(oldSlots.length * 1.5);
  const slots = new Float64Array(capacity).fill(EMPTY);
  const flags = oldFlags === null ? null : new Uint8Array(capacity);
  for (let index = 0; index < oldSlots.length; index++) {
    const id = oldSlots[index];
    if (id === EMPTY) continue;
    let slot = hashId(id) % capacity;
    while (slots[slot] !== EMPTY) slot = slot + 1 === capacity ? 0 : slot + 1;
    slots[slot] = id;
    if (flags !== null) flags[slot] = oldFlags![index];
  }
  segment.slots = slots;
  segment.flags = flags;
}

// Mixes both 32-bit halves of the id, so that small sequential ids (Mooncake's) and hashed ids
// both spread over the tables. The top 4 bits pick the table and the rest the slot.
function hashId(id: number): number {
  const low = id >>> 0;
  const high = Math.floor(id / TWO_POW_32) >>> 0;
  let h = Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
