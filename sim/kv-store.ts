// The tiered KV store. Tiers are ordered, GPU first; each is a PolicyCache with a capacity in
// bytes and its own eviction policy. A block may hold copies in several tiers. Every block id maps
// to an integer handle while some tier holds the block, and handles are recycled once no tier does.
//
// Movement between tiers follows the write mode of the path from tier t to tier t + 1:
// - write-back: a block evicted from t with no copy below is demoted into t + 1, which may evict
//   in turn. A block evicted from the last tier is dropped;
// - write-through: a block is written into t + 1 when it is created in t;
// - write-selective: a block is written into t + 1 once it has been hit `writeSelectiveHits` times.
// Evicting a block that has a copy below costs nothing. A block read from a lower tier is copied
// into the GPU tier; the lower copy stays unless that tier is exclusive. A tier below the GPU may
// have an admission policy, which decides whether a block offered to it from above is written.
//
// The store keeps each block's session, position, turn, tokens, latest request and recompute time,
// as the simulator last described them in `access`. When a block that is not the one being
// requested enters a tier (a demotion, chiefly), `access` is switched to that block's facts for the
// duration of the insert, so every tier's policy reads facts about the block it is given. A tier
// whose policy declares `readsBlockFacts: false` skips that switch.
//
// A block's hot state (id, size, counters, residency and its links in the tiers' queues) sits in
// one 64-byte record, so moving a block between tiers reads one cache line.

import { SightingCounter, type AdmissionSpec } from '../policies/admission.js';
import { createAccessInfo, type AccessInfo, type HandleLinks } from '../policies/policy.js';
import type { PolicySpec } from '../policies/registry.js';
import { clearLinks } from '../policies/list.js';
import { PolicyCache } from './cache.js';
import { IdMap } from '../workloads/id-map.js';

export type WriteMode = 'write-back' | 'write-through' | 'write-selective';

export interface TierSpec {
  /** Tier name used in results: gpu, dram or ssd. */
  name: string;
  /** Capacity in bytes, or in blocks when the store counts unit sizes. */
  capacity: number;
  policy: PolicySpec;
  /** Write mode of the path from this tier to the next one. */
  writeMode: WriteMode;
  /** Hits after which write-selective writes a block down. */
  writeSelectiveHits: number;
  /** Whether a block read from this tier into the GPU leaves this tier. */
  exclusive: boolean;
  /** Admission of blocks offered from the tier above; absent or `always` admits every block. Ignored for the first tier. */
  admission?: AdmissionSpec;
}

/**
 * Told of every block written into a tier. `fromTier` is the tier the data came from: the tier
 * above for a demotion or write-through, the tier below for a copy-up, -1 for a block computed on
 * the GPU.
 */
export type TierWriteListener = (tier: number, handle: number, sizeBytes: number, fromTier: number) => void;

export interface KvStoreOptions {
  /** KV bytes per token of the model; a block's size is its tokens times this. */
  bytesPerToken: number;
  /** Count every block as size 1 whatever its tokens (block-level replays against references). */
  unitSizes?: boolean;
  onWrite?: TierWriteListener;
}

const NO_TIER = -1;

// A handle's record, one cache line of RECORD_BYTES: float64 fields at RECORD_REALS * handle + KEY
// and SIZE, int32 fields at RECORD_INTS * handle + TOKENS ... POSITION, state bytes from
// STATE_OFFSET, and from LINKS_OFFSET two int32 link slots for each of the first LINKED_TIERS
// tiers' policies (see HandleLinks).
const RECORD_BYTES = 64;
const RECORD_REALS = RECORD_BYTES / 8;
const RECORD_INTS = RECORD_BYTES / 4;
const KEY = 0;
const SIZE = 1;
const TOKENS = 4;
const HIT_COUNT = 5;
const TURN = 6;
const POSITION = 7;
const STATE_OFFSET = 32;
const LINKS_OFFSET = 40;
const LINKED_TIERS = 3;

// A handle's state bytes, through `states`: its residency at STATE_STRIDE * handle, then BUSY and
// PENDING_DROP.
const STATE_STRIDE = RECORD_BYTES;
const BUSY = 1;
const PENDING_DROP = 2;

// Facts that only fact-reading policies need: FACT_COUNT float64 per handle in `facts`, at SESSION
// ... NEXT_ACCESS.
const FACT_COUNT = 4;
const SESSION = 0;
const LAST_ACCESS_AT = 1;
const RECOMPUTE_NS = 2;
const NEXT_ACCESS = 3;

// Write modes as small integers for the hot path: 0 write-back, 1 write-through, 2 write-selective.
const WRITE_MODE_CODES: Record<WriteMode, number> = { 'write-back': 0, 'write-through': 1, 'write-selective': 2 };

// Admission policies as small integers for the hot path.
const ADMIT_ALWAYS = 0;
const ADMIT_AFTER = 1;
const ADMIT_MULTI_TURN = 2;
const ADMISSION_CODES = { always: ADMIT_ALWAYS, after: ADMIT_AFTER, 'multi-turn': ADMIT_MULTI_TURN } as const;

export class KvStore {
  readonly tiers: PolicyCache[];
  readonly specs: readonly TierSpec[];
  /** The access description shared by every tier's policy; the simulator fills it before each block. */
  readonly access: AccessInfo = createAccessInfo();

  /** Bytes and blocks written into each tier (insertions, demotions, write-throughs, copy-ups). */
  readonly writtenBytes: Float64Array;
  readonly writtenBlocks: Float64Array;
  /** Blocks evicted from each tier, and of those, demoted into the next tier. */
  readonly evictedBlocks: Float64Array;
  readonly demotedBlocks: Float64Array;
  /** Blocks that left the last copy in the store, by the tier they left last. */
  readonly droppedBlocks: Float64Array;
  /** Blocks ever given a handle, and of those, blocks the GPU tier did not admit when touched. */
  createdBlocks = 0;
  unadmittedBlocks = 0;
  /** Blocks offered to each tier from above that its admission policy rejected. */
  readonly rejectedBlocks: Float64Array;

  private readonly ids = new IdMap();
  private readonly bytesPerToken: number;
  private readonly unitSizes: boolean;
  private readonly onWrite: TierWriteListener | null;
  private readonly writeModes: Uint8Array;
  private readonly selectiveHits: Int32Array;
  private readonly exclusive: Uint8Array;
  private readonly admissions: Uint8Array;
  private readonly admissionSightings: Int32Array;
  private readonly sightings: (SightingCounter | null)[];
  private readonly tierCount: number;
  /** Per tier, 1 when its policy may read the facts of the block it is given (see `insertOther`). */
  private readonly readsBlockFacts: Uint8Array;
  /** Handle of the block that `touch` is serving, whose facts `access` already holds; -1 outside `touch`. */
  private currentHandle = -1;
  /** Handle of the block the last `touch` served, or -1 when that block left the store. */
  private lastTouched = -1;
  // The previous and the current id of a `touch`, for `touchBlock`.
  private readonly touchIds = new Float64Array(2);

  private handleCapacity = 0;
  private handleCount = 0;
  // Each handle's record (see RECORD_BYTES), read through views of the same memory, so that moving
  // a block between tiers reads one cache line, not one per fact or per tier.
  private reals = new Float64Array(0);
  private ints = new Int32Array(0);
  // The state bytes in the records. The first is the bitmask of the tiers that contain the handle,
  // each tier's cache keeping its bit. BUSY is 1 while a touch or an insert uses the handle, and
  // PENDING_DROP is 1 + the tier it was last evicted from meanwhile, or 0.
  private states = new Uint8Array(0);
  // The records' link slots, one view per linked tier.
  private readonly tierLinks: HandleLinks[];
  // Facts of each handle for policies that read them (FACT_COUNT per handle), kept only when some
  // tier's policy reads them.
  private facts = new Float64Array(0);
  private readonly keepsFacts: boolean;
  private freeHandles = new Int32Array(0);
  private freeCount = 0;

  constructor(tiers: readonly TierSpec[], options: KvStoreOptions) {
    if (tiers.length === 0 || tiers.length > 8) throw new RangeError(`a KV store needs 1 to 8 tiers, got ${tiers.length}`);
    this.specs = tiers;
    this.tierCount = tiers.length;
    this.bytesPerToken = options.bytesPerToken;
    this.unitSizes = options.unitSizes ?? false;
    this.onWrite = options.onWrite ?? null;
    this.writeModes = Uint8Array.from(tiers, (tier) => WRITE_MODE_CODES[tier.writeMode]);
    this.selectiveHits = Int32Array.from(tiers, (tier) => tier.writeSelectiveHits);
    this.exclusive = Uint8Array.from(tiers, (tier) => (tier.exclusive ? 1 : 0));
    this.admissions = Uint8Array.from(tiers, (tier, index) => (index === 0 || tier.admission === undefined ? ADMIT_ALWAYS : ADMISSION_CODES[tier.admission.kind]));
    this.readsBlockFacts = Uint8Array.from(tiers, (tier) => (tier.policy.definition.readsBlockFacts === false ? 0 : 1));
    this.admissionSightings = Int32Array.from(tiers, (tier) => tier.admission?.sightings ?? 1);
    this.sightings = tiers.map((tier, index) =>
      index > 0 && tier.admission?.kind === 'after' ? new SightingCounter(tier.admission.historyBlocks) : null,
    );
    this.writtenBytes = new Float64Array(tiers.length);
    this.writtenBlocks = new Float64Array(tiers.length);
    this.evictedBlocks = new Float64Array(tiers.length);
    this.demotedBlocks = new Float64Array(tiers.length);
    this.droppedBlocks = new Float64Array(tiers.length);
    this.rejectedBlocks = new Float64Array(tiers.length);
    this.keepsFacts = this.readsBlockFacts.includes(1);
    this.tierLinks = tiers.slice(0, LINKED_TIERS).map(() => ({ ints: new Int32Array(0), stride: RECORD_INTS }));
    this.tiers = tiers.map((tier, index) => {
      const cache = new PolicyCache(tier.policy, tier.capacity, this.access, this.tierLinks[index]);
      cache.setEvictionListener((handle) => this.handleEviction(index, handle));
      return cache;
    });
    this.growHandles(1024);
  }

  /** Blocks currently held by at least one tier. */
  get blockCount(): number {
    return this.ids.size;
  }

  /** Returns the handle of block `id`, or -1 when no tier holds it. Changes nothing. */
  find(id: number): number {
    return this.ids.get(id);
  }

  /** Returns the first (fastest) tier holding `handle`, or -1. Changes nothing. */
  sourceTier(handle: number): number {
    const mask = this.states[STATE_STRIDE * handle];
    if (mask === 0) return NO_TIER;
    return 31 - Math.clz32(mask & -mask);
  }

  /** Bitmask of the tiers holding `handle` (bit t for tier t). */
  residencyOf(handle: number): number {
    return this.states[STATE_STRIDE * handle];
  }

  /** Size of a block of `tokens` tokens, in the store's unit. */
  blockSize(tokens: number): number {
    return this.unitSizes ? 1 : tokens * this.bytesPerToken;
  }

  /**
   * Records that a request used block `id` of `tokens` tokens and that it now sits in GPU memory:
   * a GPU hit is touched, otherwise the block is inserted into the GPU tier (a copy-up when
   * `readFromTier` > 0 names the lower tier it was read from, else a freshly computed block).
   * `previousId` is the id of the block before it in the context, or NaN for the first block. The
   * caller fills the rest of `access` (time, session, position, turn, recompute time) beforehand.
   */
  touch(id: number, tokens: number, readFromTier: number, previousId = Number.NaN): void {
    this.touchIds[0] = previousId;
    this.touchIds[1] = id;
    this.touchBlock(this.touchIds, 1, tokens, readFromTier, -1);
  }

  /**
   * Does what `touch` does for block `ids[index]`, whose previous block is `ids[index - 1]` (none
   * for index 0). Block ids take 53 bits, so passing the array and an index, not the ids, keeps
   * them out of the heap. `handleHint` is a handle that `find` returned for the block earlier, or
   * -1. When the block still has that handle, the hint spares a hash lookup.
   */
  touchBlock(ids: Float64Array, index: number, tokens: number, readFromTier: number, handleHint: number): void {
    const id = ids[index];
    let handle = this.handleOf(id, handleHint);
    if (handle === -1) handle = this.allocate(id, tokens);
    this.states[STATE_STRIDE * handle + BUSY] = 1;
    this.recordAccess(handle, tokens, index > 0 ? this.handleOf(ids[index - 1], this.lastTouched) : -1);

    if ((this.states[STATE_STRIDE * handle] & 1) !== 0) {
      this.ints[handle * RECORD_INTS + HIT_COUNT]++;
      this.tiers[0].hit(handle);
      this.writeSelectively(0, handle);
    } else {
      if (readFromTier > 0 && (this.states[STATE_STRIDE * handle] & (1 << readFromTier)) !== 0) {
        this.ints[handle * RECORD_INTS + HIT_COUNT]++;
        this.tiers[readFromTier].hit(handle);
        if (this.exclusive[readFromTier] === 1) {
          this.tiers[readFromTier].remove(handle);
        } else {
          this.writeSelectively(readFromTier, handle);
        }
      }
      this.insertInto(0, handle, readFromTier > 0 ? readFromTier : NO_TIER);
    }

    this.currentHandle = -1;
    this.states[STATE_STRIDE * handle + BUSY] = 0;
    if (this.states[STATE_STRIDE * handle] === 0) {
      // A block evicted everywhere while it was being touched was dropped; one no tier took was not admitted.
      const droppedFrom = this.states[STATE_STRIDE * handle + PENDING_DROP] - 1;
      if (droppedFrom >= 0) this.droppedBlocks[droppedFrom]++;
      else this.unadmittedBlocks++;
      this.release(handle);
    }
    this.states[STATE_STRIDE * handle + PENDING_DROP] = 0;
    this.lastTouched = this.states[STATE_STRIDE * handle] === 0 ? -1 : handle;
  }

  // Returns the handle of block `id`, or -1, trying `hint` before the hash map.
  private handleOf(id: number, hint: number): number {
    if (hint >= 0 && this.states[STATE_STRIDE * hint] !== 0 && this.reals[hint * RECORD_REALS + KEY] === id) return hint;
    return this.ids.get(id);
  }

  // Completes `access` for the requested block, whose previous block has `previousHandle` (the one
  // touched last, usually), and keeps its facts for later demotions.
  private recordAccess(handle: number, tokens: number, previousHandle: number): void {
    const access = this.access;
    access.tokens = tokens;
    access.lastAccessAt = access.now;
    access.previousHandle = previousHandle;
    if (this.keepsFacts) {
      const fact = handle * FACT_COUNT;
      const facts = this.facts;
      facts[fact + SESSION] = access.session;
      facts[fact + LAST_ACCESS_AT] = access.now;
      facts[fact + RECOMPUTE_NS] = access.recomputeNs;
      facts[fact + NEXT_ACCESS] = access.nextAccessIndex;
    }
    const int = handle * RECORD_INTS;
    const ints = this.ints;
    ints[int + POSITION] = access.position;
    if (access.turn > ints[int + TURN]) ints[int + TURN] = access.turn;
    this.currentHandle = handle;
  }

  /** Changes a tier's capacity, evicting (and demoting, by the tier's write mode) until it fits. */
  setTierCapacity(tier: number, capacity: number): void {
    this.tiers[tier].setCapacity(capacity);
  }

  // Inserts `handle` into `tier`; returns whether the tier admitted it.
  private insertInto(tier: number, handle: number, fromTier: number): boolean {
    if (fromTier >= 0 && fromTier < tier && !this.admits(tier, handle)) {
      this.rejectedBlocks[tier]++;
      return false;
    }
    // A tier whose policy reads no block facts takes the block with `access` unchanged, so the
    // block's facts are not read when it moves down.
    if (handle === this.currentHandle || this.readsBlockFacts[tier] === 0) return this.insertWithAccess(tier, handle, fromTier);
    return this.insertOther(tier, handle, fromTier);
  }

  // Inserts a block other than the requested one, with `access` describing that block meanwhile.
  private insertOther(tier: number, handle: number, fromTier: number): boolean {
    const access = this.access;
    const session = access.session;
    const position = access.position;
    const turn = access.turn;
    const tokens = access.tokens;
    const previousHandle = access.previousHandle;
    const lastAccessAt = access.lastAccessAt;
    const recomputeNs = access.recomputeNs;
    const nextAccessIndex = access.nextAccessIndex;
    const currentHandle = this.currentHandle;

    const fact = handle * FACT_COUNT;
    const int = handle * RECORD_INTS;
    access.session = this.facts[fact + SESSION];
    access.lastAccessAt = this.facts[fact + LAST_ACCESS_AT];
    access.recomputeNs = this.facts[fact + RECOMPUTE_NS];
    access.nextAccessIndex = this.facts[fact + NEXT_ACCESS];
    access.position = this.ints[int + POSITION];
    access.turn = this.ints[int + TURN];
    access.tokens = this.ints[int + TOKENS];
    access.previousHandle = -1;
    this.currentHandle = handle;
    const inserted = this.insertWithAccess(tier, handle, fromTier);

    this.currentHandle = currentHandle;
    access.session = session;
    access.position = position;
    access.turn = turn;
    access.tokens = tokens;
    access.previousHandle = previousHandle;
    access.lastAccessAt = lastAccessAt;
    access.recomputeNs = recomputeNs;
    access.nextAccessIndex = nextAccessIndex;
    return inserted;
  }

  // Decides by the tier's admission policy whether a block offered from above is written.
  private admits(tier: number, handle: number): boolean {
    switch (this.admissions[tier]) {
      case ADMIT_AFTER: {
        const counter = this.sightings[tier] as SightingCounter;
        const key = this.reals[handle * RECORD_REALS + KEY];
        if (counter.record(key) < this.admissionSightings[tier]) return false;
        counter.forget(key);
        return true;
      }
      case ADMIT_MULTI_TURN:
        return this.ints[handle * RECORD_INTS + TURN] >= 1 || this.ints[handle * RECORD_INTS + HIT_COUNT] > 0;
      default:
        return true;
    }
  }

  private insertWithAccess(tier: number, handle: number, fromTier: number): boolean {
    const wasBusy = this.states[STATE_STRIDE * handle + BUSY];
    this.states[STATE_STRIDE * handle + BUSY] = 1;
    const inserted = this.tiers[tier].insertStored(handle);
    if (inserted) {
      const size = this.reals[handle * RECORD_REALS + SIZE];
      this.writtenBytes[tier] += size;
      this.writtenBlocks[tier]++;
      if (this.onWrite !== null) this.onWrite(tier, handle, size, fromTier);
      const below = tier + 1;
      if (below < this.tierCount && this.writeModes[tier] === 1 && (this.states[STATE_STRIDE * handle] & (1 << below)) === 0) {
        this.insertInto(below, handle, tier);
      }
    }
    this.states[STATE_STRIDE * handle + BUSY] = wasBusy;
    return inserted;
  }

  // Writes a hit block into the next tier once it reaches the write-selective threshold.
  private writeSelectively(tier: number, handle: number): void {
    const below = tier + 1;
    if (below >= this.tierCount || this.writeModes[tier] !== 2) return;
    if (this.ints[handle * RECORD_INTS + HIT_COUNT] < this.selectiveHits[tier]) return;
    if ((this.states[STATE_STRIDE * handle] & (1 << below)) !== 0) return;
    this.insertInto(below, handle, tier);
  }

  private handleEviction(tier: number, handle: number): void {
    this.evictedBlocks[tier]++;
    const below = tier + 1;
    const copyBelow = this.states[STATE_STRIDE * handle] >> below !== 0;
    if (!copyBelow && below < this.tierCount && this.writeModes[tier] === 0) {
      if (this.insertInto(below, handle, tier)) this.demotedBlocks[tier]++;
    }
    if (this.states[STATE_STRIDE * handle] === 0) {
      if (this.states[STATE_STRIDE * handle + BUSY] === 0) {
        this.droppedBlocks[tier]++;
        this.release(handle);
      } else {
        // Counted when the touch that holds the block ends, if no tier took it back meanwhile.
        this.states[STATE_STRIDE * handle + PENDING_DROP] = tier + 1;
      }
    }
  }

  private allocate(id: number, tokens: number): number {
    let handle: number;
    if (this.freeCount > 0) {
      handle = this.freeHandles[--this.freeCount];
    } else {
      if (this.handleCount === this.handleCapacity) this.growHandles(this.handleCapacity * 2);
      handle = this.handleCount++;
    }
    this.createdBlocks++;
    const real = handle * RECORD_REALS;
    const int = handle * RECORD_INTS;
    this.reals[real + KEY] = id;
    this.reals[real + SIZE] = this.blockSize(tokens);
    this.ints[int + TOKENS] = tokens;
    this.ints[int + HIT_COUNT] = 0;
    this.ints[int + TURN] = -1;
    this.states[STATE_STRIDE * handle] = 0;
    this.ids.set(id, handle);
    return handle;
  }

  private release(handle: number): void {
    this.ids.delete(this.reals[handle * RECORD_REALS + KEY]);
    this.freeHandles[this.freeCount++] = handle;
  }

  private growHandles(capacity: number): void {
    const grow = <T extends Float64Array | Int32Array | Uint8Array>(array: T, make: (n: number) => T): T => {
      const grown = make(capacity);
      grown.set(array);
      return grown;
    };
    const records = new ArrayBuffer(capacity * RECORD_BYTES);
    new Uint8Array(records).set(new Uint8Array(this.reals.buffer));
    this.reals = new Float64Array(records);
    this.ints = new Int32Array(records);
    this.states = new Uint8Array(records, STATE_OFFSET);
    for (const [index, links] of this.tierLinks.entries()) {
      links.ints = new Int32Array(records, LINKS_OFFSET + 8 * index);
      clearLinks(links, this.handleCapacity, capacity);
    }
    if (this.keepsFacts) this.facts = grow(this.facts, (n) => new Float64Array(FACT_COUNT * n));
    this.freeHandles = grow(this.freeHandles, (n) => new Int32Array(n));
    this.handleCapacity = capacity;
    // The tiers keep their residents' sizes, keys and residency bits in these arrays.
    for (const [index, tier] of this.tiers.entries()) {
      tier.shareHandleState({
        facts: this.reals,
        factStride: RECORD_REALS,
        sizeOffset: SIZE,
        keyOffset: KEY,
        flags: this.states,
        flagStride: STATE_STRIDE,
        residentMask: 1 << index,
      });
      tier.grow(capacity);
    }
  }
}
