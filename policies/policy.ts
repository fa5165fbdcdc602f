// The eviction-policy contract. A policy manages the residents of one cache (a tier of the KV
// store, or the single cache of object-trace mode) by integer handle. The cache owns capacity
// accounting: it calls `admit` for a missed object, then `evict` until the object fits, then
// `insert`. The same policy code serves both the full simulation and object-trace mode.

/** Sizes are in bytes in the KV store and in bytes or objects (size 1) in object-trace mode. */
export type Size = number;

/**
 * Facts about the block or object being accessed, written by the cache before each call and read
 * by policies that need more than the handle. One instance is reused for every access.
 */
export interface AccessInfo {
  /** Current simulated time in nanoseconds (0 in object-trace mode). */
  now: number;
  /** Index of this access in the access stream, counting from 0. */
  accessIndex: number;
  /** Access index of this object's next request, or Infinity when it is never requested again; NaN when unknown. */
  nextAccessIndex: number;
  /** Session of the block, or -1 when unknown. */
  session: number;
  /** Position of the block in its context, 0 for the first block; -1 when unknown. */
  position: number;
  /** Turn of the block's request within its session, counting from 0; -1 when unknown. */
  turn: number;
  /** Tokens in the block; equals the size in object-trace mode. */
  tokens: number;
  /**
   * Handle of the block before this one in its context, while the KV store holds it; -1 for the
   * first block, when unknown, and for a block demoted from the tier above.
   */
  previousHandle: number;
  /** Instant of the block's latest request in ns: `now` for a request, earlier for a demoted block. */
  lastAccessAt: number;
  /**
   * Time in ns to recompute the block by prefill, given the context before it; NaN when unknown
   * (object-trace mode). The attention term makes it grow with the block's position.
   */
  recomputeNs: number;
}

/** Returns an access description of nothing known: time 0, no session, no position, no next use. */
export function createAccessInfo(): AccessInfo {
  return {
    now: 0,
    accessIndex: 0,
    nextAccessIndex: Number.NaN,
    session: -1,
    position: -1,
    turn: -1,
    tokens: 1,
    previousHandle: -1,
    lastAccessAt: 0,
    recomputeNs: Number.NaN,
  };
}

/**
 * Callbacks through which a policy reports residents that it adds or evicts on its own, outside
 * `evict` and `insert`: 2Q's LRU part evicts within its own share while inserting, and LIRS demotes
 * and evicts during hits. The cache keeps its accounting and its eviction listener in step through
 * them.
 */
export interface ResidencyReport {
  /** The policy made `handle` resident with `size`. */
  added(handle: number, size: Size): void;
  /** The policy evicted the resident `handle`. */
  evicted(handle: number): void;
}

/** The cache's current capacity and occupancy, both in the unit of the sizes; read-only for the policy. */
export interface CacheOccupancy {
  readonly capacity: Size;
  readonly used: Size;
}

/**
 * Two int32 slots per handle that the cache's owner keeps beside its other facts about the handle,
 * at `ints[stride * handle]` and `ints[stride * handle + 1]`. A policy with one linked list can keep
 * its links there (`new DoublyLinkedList(context.handleLinks)`), so that moving a block reads the
 * cache line the owner reads anyway. The owner replaces `ints` when it grows, before it calls the
 * policy's `grow`, and sets the slots of every new handle unlinked.
 */
export interface HandleLinks {
  ints: Int32Array;
  stride: number;
}

export interface PolicyContext {
  /** Capacity of the cache when the policy was created, in the same unit as the sizes passed to the policy. */
  capacity: Size;
  /** The cache itself, for its current capacity (a dynamic GPU tier changes it) and occupancy. */
  cache: CacheOccupancy;
  /** The shared, mutable description of the current access. */
  access: AccessInfo;
  /** Set by the cache; see `ResidencyReport`. */
  residency: ResidencyReport;
  /** Link slots kept by the cache's owner, when it offers them (the KV store does); see `HandleLinks`. */
  handleLinks?: HandleLinks;
}

/** One policy instance. Its results are labelled by the `PolicySpec` it was created from. */
export interface EvictionPolicy {
  /** Makes room in per-handle arrays for handles below `handleCapacity`. */
  grow(handleCapacity: number): void;
  /** A resident object was requested. */
  onHit(handle: number): void;
  /**
   * A non-resident object was requested and the cache will try to insert it. Returns whether the
   * policy admits it. Called once per miss, before any `evict` for it, so ghost-aware policies
   * update their state here. `key` is the object's id, stable across evictions, unlike its handle.
   */
  admit(handle: number, key: number, size: Size): boolean;
  /** Chooses one resident to evict, removes it (keeping a ghost entry where the algorithm has one) and returns its handle, or -1 when there is none. */
  evict(): number;
  /**
   * Adds an admitted object as a resident. The cache has already made room for it. Returns false
   * when the policy declines it after all, as S3-FIFO does (like libCacheSim) for an object as large
   * as its small queue. Returning nothing means inserted.
   */
  insert(handle: number, key: number, size: Size): boolean | void;
  /** Forgets a resident that the cache removed for another reason than eviction. */
  remove(handle: number): void;
  /**
   * Runs a whole request itself: lookup, admission, eviction and insertion, reporting every change
   * of residency through `context.residency`, and returns whether it hit. Only for algorithms whose
   * bookkeeping does not split into the steps above (LIRS); the cache then routes `hit`, `insert`
   * and `request` here.
   */
  request?(handle: number, key: number, size: Size): boolean;
}

/** One parameter of a policy, with its default. */
export interface PolicyParameter {
  name: string;
  description: string;
  defaultValue: number;
  min?: number;
  max?: number;
}

export interface PolicyDefinition {
  /** Registry name, lower case, for example `lru`. */
  name: string;
  /** One line: the algorithm and its source. */
  description: string;
  parameters: PolicyParameter[];
  create(params: Readonly<Record<string, number>>, context: PolicyContext): EvictionPolicy;
  /** Largest object the policy admits, as a share of the cache's capacity, for policies with such a limit. */
  largestObjectShare?(params: Readonly<Record<string, number>>): number;
  /** True for offline policies, which need each access's next use: only replays (kvtier cachesim) know it. */
  offline?: boolean;
  /**
   * False when the policy never reads the facts in `context.access` that describe one block:
   * session, position, turn, tokens, previousHandle, lastAccessAt, recomputeNs and
   * nextAccessIndex. The KV store then leaves `access` as it is when it moves a block other than
   * the requested one into this policy's tier, which spares reading that block's facts from memory.
   * Absent means true, so a policy that does not say gets the facts.
   */
  readsBlockFacts?: boolean;
}
