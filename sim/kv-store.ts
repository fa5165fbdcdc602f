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
// duration of the insert, so every tier's policy reads facts about the block it is given.

import { SightingCounter, type AdmissionSpec } from '../policies/admission.js';
import { createAccessInfo, type AccessInfo } from '../policies/policy.js';
import type { PolicySpec } from '../policies/registry.js';
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
  /** Handle of the block that `touch` is serving, whose facts `access` already holds; -1 outside `touch`. */
  private currentHandle = -1;

  private handleCapacity = 0;
  private handleCount = 0;
  private keys = new Float64Array(0);
  private sizes = new Float64Array(0);
  private tokens = new Int32Array(0);
  private hitCounts = new Int32Array(0);
  private sessions = new Float64Array(0);
  private positions = new Int32Array(0);
  private turns = new Int32Array(0);
  private lastAccessAt = new Float64Array(0);
  private recomputeNs = new Float64Array(0);
  private nextAccess = new Float64Array(0);
  private residency = new Uint8Array(0);
  private busy = new Uint8Array(0);
  // Tier a block was last evicted from while a touch held it, or -1.
  private pendingDrop = new Int8Array(0);
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
    this.tiers = tiers.map((tier, index) => {
      const cache = new PolicyCache(tier.policy, tier.capacity, this.access);
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
    const mask = this.residency[handle];
    if (mask === 0) return NO_TIER;
    return 31 - Math.clz32(mask & -mask);
  }

  /** Bitmask of the tiers holding `handle` (bit t for tier t). */
  residencyOf(handle: number): number {
    return this.residency[handle];
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
    let handle = this.ids.get(id);
    if (handle === -1) handle = this.allocate(id, tokens);
    this.busy[handle] = 1;
    this.recordAccess(handle, tokens, previousId);

    if ((this.residency[handle] & 1) !== 0) {
      this.hitCounts[handle]++;
      this.tiers[0].hit(handle);
      this.writeSelectively(0, handle);
    } else {
      if (readFromTier > 0 && (this.residency[handle] & (1 << readFromTier)) !== 0) {
        this.hitCounts[handle]++;
        this.tiers[readFromTier].hit(handle);
        if (this.exclusive[readFromTier] === 1) {
          this.tiers[readFromTier].remove(handle);
          this.residency[handle] &= ~(1 << readFromTier);
        } else {
          this.writeSelectively(readFromTier, handle);
        }
      }
      this.insertInto(0, handle, readFromTier > 0 ? readFromTier : NO_TIER);
    }

    this.currentHandle = -1;
    this.busy[handle] = 0;
    if (this.residency[handle] === 0) {
      // A block evicted everywhere while it was being touched was dropped; one no tier took was not admitted.
      const droppedFrom = this.pendingDrop[handle];
      if (droppedFrom >= 0) this.droppedBlocks[droppedFrom]++;
      else this.unadmittedBlocks++;
      this.release(handle);
    }
    this.pendingDrop[handle] = -1;
  }

  // Completes `access` for the requested block and keeps its facts for later demotions.
  private recordAccess(handle: number, tokens: number, previousId: number): void {
    const access = this.access;
    access.tokens = tokens;
    access.lastAccessAt = access.now;
    access.previousHandle = Number.isNaN(previousId) ? -1 : this.ids.get(previousId);
    this.sessions[handle] = access.session;
    this.positions[handle] = access.position;
    if (access.turn > this.turns[handle]) this.turns[handle] = access.turn;
    this.lastAccessAt[handle] = access.now;
    this.recomputeNs[handle] = access.recomputeNs;
    this.nextAccess[handle] = access.nextAccessIndex;
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
    if (handle !== this.currentHandle) return this.insertOther(tier, handle, fromTier);
    return this.insertWithAccess(tier, handle, fromTier);
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

    access.session = this.sessions[handle];
    access.position = this.positions[handle];
    access.turn = this.turns[handle];
    access.tokens = this.tokens[handle];
    access.previousHandle = -1;
    access.lastAccessAt = this.lastAccessAt[handle];
    access.recomputeNs = this.recomputeNs[handle];
    access.nextAccessIndex = this.nextAccess[handle];
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
        if (counter.record(this.keys[handle]) < this.admissionSightings[tier]) return false;
        counter.forget(this.keys[handle]);
        return true;
      }
      case ADMIT_MULTI_TURN:
        return this.turns[handle] >= 1 || this.hitCounts[handle] > 0;
      default:
        return true;
    }
  }

  private insertWithAccess(tier: number, handle: number, fromTier: number): boolean {
    const size = this.sizes[handle];
    const wasBusy = this.busy[handle];
    this.busy[handle] = 1;
    const inserted = this.tiers[tier].insert(handle, this.keys[handle], size);
    if (inserted) {
      this.residency[handle] |= 1 << tier;
      this.writtenBytes[tier] += size;
      this.writtenBlocks[tier]++;
      if (this.onWrite !== null) this.onWrite(tier, handle, size, fromTier);
      const below = tier + 1;
      if (below < this.tierCount && this.writeModes[tier] === 1 && (this.residency[handle] & (1 << below)) === 0) {
        this.insertInto(below, handle, tier);
      }
    }
    this.busy[handle] = wasBusy;
    return inserted;
  }

  // Writes a hit block into the next tier once it reaches the write-selective threshold.
  private writeSelectively(tier: number, handle: number): void {
    const below = tier + 1;
    if (below >= this.tierCount || this.writeModes[tier] !== 2) return;
    if (this.hitCounts[handle] < this.selectiveHits[tier]) return;
    if ((this.residency[handle] & (1 << below)) !== 0) return;
    this.insertInto(below, handle, tier);
  }

  private handleEviction(tier: number, handle: number): void {
    this.residency[handle] &= ~(1 << tier);
    this.evictedBlocks[tier]++;
    const below = tier + 1;
    const copyBelow = this.residency[handle] >> below !== 0;
    if (!copyBelow && below < this.tierCount && this.writeModes[tier] === 0) {
      if (this.insertInto(below, handle, tier)) this.demotedBlocks[tier]++;
    }
    if (this.residency[handle] === 0) {
      if (this.busy[handle] === 0) {
        this.droppedBlocks[tier]++;
        this.release(handle);
      } else {
        // Counted when the touch that holds the block ends, if no tier took it back meanwhile.
        this.pendingDrop[handle] = tier;
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
    this.keys[handle] = id;
    this.tokens[handle] = tokens;
    this.sizes[handle] = this.blockSize(tokens);
    this.hitCounts[handle] = 0;
    this.turns[handle] = -1;
    this.residency[handle] = 0;
    this.ids.set(id, handle);
    return handle;
  }

  private release(handle: number): void {
    this.ids.delete(this.keys[handle]);
    this.freeHandles[this.freeCount++] = handle;
  }

  private growHandles(capacity: number): void {
    const grow = <T extends Float64Array | Int32Array | Uint8Array>(array: T, make: (n: number) => T): T => {
      const grown = make(capacity);
      grown.set(array);
      return grown;
    };
    this.keys = grow(this.keys, (n) => new Float64Array(n));
    this.sizes = grow(this.sizes, (n) => new Float64Array(n));
    this.tokens = grow(this.tokens, (n) => new Int32Array(n));
    this.hitCounts = grow(this.hitCounts, (n) => new Int32Array(n));
    this.sessions = grow(this.sessions, (n) => new Float64Array(n));
    this.positions = grow(this.positions, (n) => new Int32Array(n));
    this.turns = grow(this.turns, (n) => new Int32Array(n));
    this.lastAccessAt = grow(this.lastAccessAt, (n) => new Float64Array(n));
    this.recomputeNs = grow(this.recomputeNs, (n) => new Float64Array(n));
    this.nextAccess = grow(this.nextAccess, (n) => new Float64Array(n));
    this.residency = grow(this.residency, (n) => new Uint8Array(n));
    this.busy = grow(this.busy, (n) => new Uint8Array(n));
    const pendingDrop = new Int8Array(capacity).fill(-1);
    pendingDrop.set(this.pendingDrop);
    this.pendingDrop = pendingDrop;
    this.freeHandles = grow(this.freeHandles, (n) => new Int32Array(n));
    this.handleCapacity = capacity;
    for (const tier of this.tiers) tier.grow(capacity);
  }
}
