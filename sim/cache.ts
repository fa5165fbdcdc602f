// Capacity accounting around one eviction policy. This is the cache that both a tier of the KV
// store and object-trace mode use, so a policy receives the same calls in both, with libCacheSim's
// semantics: on a miss the policy is asked to admit the object, an object larger than the whole
// cache is not admitted and evicts nothing, victims are evicted while used + size > capacity, then
// the object is inserted with the size it keeps while resident.

import { createAccessInfo, type AccessInfo, type EvictionPolicy, type HandleLinks, type PolicyContext } from '../policies/policy.js';
import { createPolicy, type PolicySpec } from '../policies/registry.js';

/** Called for each object a cache evicts, after the policy and the cache have forgotten it. */
export type EvictionListener = (handle: number) => void;

/**
 * Per-handle arrays that a cache can read its residents' sizes, keys and residency from instead of
 * keeping its own: size and key at `factStride * handle + sizeOffset` and `+ keyOffset` of
 * `facts`, residency as the bit `residentMask` of `flags[flagStride * handle]`. The KV store shares
 * its block records this way, so that its tiers store a block's size and key once, not once each.
 * The owner writes size and key before it inserts a handle and keeps them while the handle is in
 * any cache.
 */
export interface SharedHandleState {
  facts: Float64Array;
  factStride: number;
  sizeOffset: number;
  keyOffset: number;
  flags: Uint8Array;
  flagStride: number;
  residentMask: number;
}

export class PolicyCache {
  readonly label: string;
  /** Capacity in the unit of the sizes; `setCapacity` changes it. */
  capacity: number;
  readonly policy: EvictionPolicy;
  /** The access description shared with the policy; the caller fills it before each access. */
  readonly access: AccessInfo;
  used = 0;
  residentCount = 0;
  evictions = 0;

  // Residents' sizes, keys and residency (see SharedHandleState): the cache's own arrays, with size
  // and key side by side and one flag byte per handle, unless `shareHandleState` replaced them.
  private facts: Float64Array = new Float64Array(0);
  private factStride = 2;
  private sizeOffset = 0;
  private keyOffset = 1;
  private flags: Uint8Array = new Uint8Array(0);
  private flagStride = 1;
  private residentMask = 1;
  private sharesState = false;
  private onEvict: EvictionListener | null = null;
  /** True when the policy runs whole requests itself (see `EvictionPolicy.request`). */
  private readonly selfManaged: boolean;

  /**
   * `handleLinks`, when the owner keeps link slots for this cache (the KV store does), are offered
   * to the policy through its context.
   */
  constructor(spec: PolicySpec, capacity: number, access?: AccessInfo, handleLinks?: HandleLinks) {
    this.label = spec.label;
    this.capacity = capacity;
    this.access = access ?? createAccessInfo();
    const context: PolicyContext = {
      capacity,
      cache: this,
      access: this.access,
      residency: {
        added: (handle, size) => this.admitResident(handle, size),
        evicted: (handle) => this.evictResident(handle),
      },
      handleLinks,
    };
    this.policy = createPolicy(spec, context);
    this.selfManaged = this.policy.request !== undefined;
  }

  /** Sets the function called on every eviction (the KV store demotes victims through it). */
  setEvictionListener(listener: EvictionListener | null): void {
    this.onEvict = listener;
  }

  /**
   * Reads residents' sizes, keys and residency from `state` from now on; call it again whenever the
   * owner replaces its arrays. Only for an empty cache or with arrays that carry the same contents.
   */
  shareHandleState(state: SharedHandleState): void {
    this.facts = state.facts;
    this.factStride = state.factStride;
    this.sizeOffset = state.sizeOffset;
    this.keyOffset = state.keyOffset;
    this.flags = state.flags;
    this.flagStride = state.flagStride;
    this.residentMask = state.residentMask;
    this.sharesState = true;
  }

  /** Makes room for handles below `handleCapacity`; shared arrays are the owner's to grow. */
  grow(handleCapacity: number): void {
    if (this.sharesState) {
      this.policy.grow(handleCapacity);
      return;
    }
    if (handleCapacity <= this.flags.length) return;
    const size = Math.max(handleCapacity, this.flags.length * 2, 16);
    const facts = new Float64Array(2 * size);
    const flags = new Uint8Array(size);
    facts.set(this.facts);
    flags.set(this.flags);
    this.facts = facts;
    this.flags = flags;
    this.policy.grow(size);
  }

  has(handle: number): boolean {
    return (this.flags[this.flagStride * handle] & this.residentMask) !== 0;
  }

  sizeOf(handle: number): number {
    return this.has(handle) ? this.facts[this.factStride * handle + this.sizeOffset] : 0;
  }

  /** Records a request for a resident object. */
  hit(handle: number): void {
    if (this.selfManaged) {
      const fact = this.factStride * handle;
      this.policy.request!(handle, this.facts[fact + this.keyOffset], this.facts[fact + this.sizeOffset]);
    } else {
      this.policy.onHit(handle);
    }
  }

  /**
   * Inserts a non-resident object if the policy admits it and it fits in the whole cache, evicting
   * as needed. Returns whether it was inserted. With shared handle state, `key` and `size` must be
   * the ones the owner stored.
   */
  insert(handle: number, key: number, size: number): boolean {
    if (!this.sharesState) {
      const fact = this.factStride * handle;
      this.facts[fact + this.keyOffset] = key;
      this.facts[fact + this.sizeOffset] = size;
    }
    return this.insertStored(handle);
  }

  /**
   * Inserts `handle` like `insert`, with the key and size already stored for it: by the owner of
   * shared handle state, or by `insert`. Passing the handle alone keeps the 53-bit key and the
   * size out of the heap on the KV store's hot path.
   */
  insertStored(handle: number): boolean {
    const fact = this.factStride * handle;
    const key = this.facts[fact + this.keyOffset];
    const size = this.facts[fact + this.sizeOffset];
    if (this.selfManaged) {
      this.policy.request!(handle, key, size);
      return this.has(handle);
    }
    if (!this.policy.admit(handle, key, size)) return false;
    if (size > this.capacity) return false;
    while (this.used + size > this.capacity) {
      const victim = this.policy.evict();
      if (victim < 0) return false;
      this.evictResident(victim);
    }
    if (this.policy.insert(handle, key, size) === false) return false;
    this.admitResident(handle, size);
    return true;
  }

  /**
   * Changes the capacity, evicting until the residents fit. The policy keeps the queue shares it
   * derived from the capacity it was created with.
   */
  setCapacity(capacity: number): void {
    this.capacity = capacity;
    while (this.used > capacity) {
      const victim = this.policy.evict();
      if (victim < 0) break;
      this.evictResident(victim);
    }
  }

  /** Removes a resident for another reason than eviction (an exclusive tier's copy moving up). */
  remove(handle: number): void {
    if (!this.has(handle)) return;
    this.policy.remove(handle);
    this.forget(handle);
  }

  /**
   * Requests an object in object-trace mode: a hit if resident, else an insert attempt. Returns
   * whether it was a hit.
   */
  request(handle: number, key: number, size: number): boolean {
    if (this.selfManaged) return this.policy.request!(handle, key, size);
    if (this.has(handle)) {
      this.policy.onHit(handle);
      return true;
    }
    this.insert(handle, key, size);
    return false;
  }

  private admitResident(handle: number, size: number): void {
    this.flags[this.flagStride * handle] |= this.residentMask;
    if (!this.sharesState) this.facts[this.factStride * handle + this.sizeOffset] = size;
    this.used += size;
    this.residentCount++;
  }

  private evictResident(handle: number): void {
    this.forget(handle);
    this.evictions++;
    if (this.onEvict !== null) this.onEvict(handle);
  }

  private forget(handle: number): void {
    this.flags[this.flagStride * handle] &= ~this.residentMask;
    this.used -= this.facts[this.factStride * handle + this.sizeOffset];
    this.residentCount--;
  }
}
