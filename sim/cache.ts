// Capacity accounting around one eviction policy. This is the cache that both a tier of the KV
// store and object-trace mode use, so a policy receives the same calls in both, with libCacheSim's
// semantics: on a miss the policy is asked to admit the object, an object larger than the whole
// cache is not admitted and evicts nothing, victims are evicted while used + size > capacity, then
// the object is inserted with the size it keeps while resident.

import { createAccessInfo, type AccessInfo, type EvictionPolicy, type PolicyContext } from '../policies/policy.js';
import { createPolicy, type PolicySpec } from '../policies/registry.js';

/** Called for each object a cache evicts, after the policy and the cache have forgotten it. */
export type EvictionListener = (handle: number, size: number) => void;

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

  private residentSize = new Float64Array(0);
  private residentKey = new Float64Array(0);
  private resident = new Uint8Array(0);
  private onEvict: EvictionListener | null = null;
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
    if (handleCapacity <= this.resident.length) return;
    const size = Math.max(handleCapacity, this.resident.length * 2, 16);
    const residentSize = new Float64Array(size);
    const residentKey = new Float64Array(size);
    const resident = new Uint8Array(size);
    residentSize.set(this.residentSize);
    residentKey.set(this.residentKey);
    resident.set(this.resident);
    this.residentSize = residentSize;
    this.residentKey = residentKey;
    this.resident = resident;
    this.policy.grow(size);
  }

  has(handle: number): boolean {
    return this.resident[handle] === 1;
  }

  sizeOf(handle: number): number {
    return this.residentSize[handle];
  }

  /** Records a request for a resident object. */
  hit(handle: number): void {
    if (this.selfManaged) this.policy.request!(handle, this.residentKey[handle], this.residentSize[handle]);
    else this.policy.onHit(handle);
  }

  /**
   * Inserts a non-resident object if the policy admits it and it fits in the whole cache, evicting
   * as needed. Returns whether it was inserted.
   */
  insert(handle: number, key: number, size: number): boolean {
    if (this.selfManaged) {
      this.residentKey[handle] = key;
      this.policy.request!(handle, key, size);
      return this.resident[handle] === 1;
    }
    if (!this.policy.admit(handle, key, size)) return false;
    if (size > this.capacity) return false;
    while (this.used + size > this.capacity) {
      const victim = this.policy.evict();
      if (victim < 0) return false;
      this.evictResident(victim);
    }
    this.residentKey[handle] = key;
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
    if (this.resident[handle] !== 1) return;
    this.policy.remove(handle);
    this.forget(handle);
  }

  /**
   * Requests an object in object-trace mode: a hit if resident, else an insert attempt. Returns
   * whether it was a hit.
   */
  request(handle: number, key: number, size: number): boolean {
    if (this.selfManaged) return this.policy.request!(handle, key, size);
    if (this.resident[handle] === 1) {
      this.policy.onHit(handle);
      return true;
    }
    this.insert(handle, key, size);
    return false;
  }

  private admitResident(handle: number, size: number): void {
    this.resident[handle] = 1;
    this.residentSize[handle] = size;
    this.used += size;
    this.residentCount++;
  }

  private evictResident(handle: number): void {
    this.forget(handle);
    this.evictions++;
    if (this.onEvict !== null) this.onEvict(handle, this.residentSize[handle]);
  }

  private forget(handle: number): void {
    this.resident[handle] = 0;
    this.used -= this.residentSize[handle];
    this.residentCount--;
  }
}
