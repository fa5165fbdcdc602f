// Capacity accounting around one eviction policy. This is the cache that both a tier of the KV
// store and object-trace mode use, so a policy receives the same calls in both, with libCacheSim's
// semantics: on a miss the policy is asked to admit the object, an object larger than the whole
// cache is not admitted and evicts nothing, victims are evicted while used + size > capacity, then
// the object is inserted with the size it keeps while resident.

import { createAccessInfo, type AccessInfo, type EvictionPolicy, type PolicyContext } from '../policies/policy.js';
import { createPolicy, type PolicySpec } from '../policies/registry.js';

// Marks a handle that is not resident, in place of its size.
const NOT_RESIDENT = -1;

/** Called for each object a cache evicts, after the policy and the cache have forgotten it. */
export type EvictionListener = (handle: number, size: number, key: number) => void;

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

  // Per handle, side by side: its size while resident (NOT_RESIDENT otherwise) at 2h, its key at 2h + 1.
  private residents = new Float64Array(0);
  private onEvict: EvictionListener | null = null;
  // Size of the object `forget` removed last, which the eviction listener receives.
  private lastForgottenSize = 0;
  /** True when the policy runs whole requests itself (see `EvictionPolicy.request`). */
  private readonly selfManaged: boolean;

  constructor(spec: PolicySpec, capacity: number, access?: AccessInfo) {
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
    };
    this.policy = createPolicy(spec, context);
    this.selfManaged = this.policy.request !== undefined;
  }

  /** Sets the function called on every eviction (the KV store demotes victims through it). */
  setEvictionListener(listener: EvictionListener | null): void {
    this.onEvict = listener;
  }

  /** Makes room for handles below `handleCapacity`. */
  grow(handleCapacity: number): void {
    const handles = this.residents.length / 2;
    if (handleCapacity <= handles) return;
    const size = Math.max(handleCapacity, handles * 2, 16);
    const residents = new Float64Array(2 * size);
    for (let i = 2 * handles; i < residents.length; i += 2) residents[i] = NOT_RESIDENT;
    residents.set(this.residents);
    this.residents = residents;
    this.policy.grow(size);
  }

  has(handle: number): boolean {
    return this.residents[2 * handle] !== NOT_RESIDENT;
  }

  sizeOf(handle: number): number {
    const size = this.residents[2 * handle];
    return size === NOT_RESIDENT ? 0 : size;
  }

  /** Records a request for a resident object. */
  hit(handle: number): void {
    if (this.selfManaged) this.policy.request!(handle, this.residents[2 * handle + 1], this.residents[2 * handle]);
    else this.policy.onHit(handle);
  }

  /**
   * Inserts a non-resident object if the policy admits it and it fits in the whole cache, evicting
   * as needed. Returns whether it was inserted.
   */
  insert(handle: number, key: number, size: number): boolean {
    if (this.selfManaged) {
      this.residents[2 * handle + 1] = key;
      this.policy.request!(handle, key, size);
      return this.residents[2 * handle] !== NOT_RESIDENT;
    }
    if (!this.policy.admit(handle, key, size)) return false;
    if (size > this.capacity) return false;
    while (this.used + size > this.capacity) {
      const victim = this.policy.evict();
      if (victim < 0) return false;
      this.evictResident(victim);
    }
    this.residents[2 * handle + 1] = key;
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
    if (this.residents[2 * handle] === NOT_RESIDENT) return;
    this.policy.remove(handle);
    this.forget(handle);
  }

  /**
   * Requests an object in object-trace mode: a hit if resident, else an insert attempt. Returns
   * whether it was a hit.
   */
  request(handle: number, key: number, size: number): boolean {
    if (this.selfManaged) return this.policy.request!(handle, key, size);
    if (this.residents[2 * handle] !== NOT_RESIDENT) {
      this.policy.onHit(handle);
      return true;
    }
    this.insert(handle, key, size);
    return false;
  }

  private admitResident(handle: number, size: number): void {
    this.residents[2 * handle] = size;
    this.used += size;
    this.residentCount++;
  }

  private evictResident(handle: number): void {
    this.forget(handle);
    this.evictions++;
    if (this.onEvict !== null) this.onEvict(handle, this.lastForgottenSize, this.residents[2 * handle + 1]);
  }

  private forget(handle: number): void {
    const size = this.residents[2 * handle];
    this.residents[2 * handle] = NOT_RESIDENT;
    this.lastForgottenSize = size;
    this.used -= size;
    this.residentCount--;
  }
}
