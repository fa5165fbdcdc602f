// Segmented LRU (Karedla, Love and Wherry, "Caching strategies to improve disk system performance",
// IEEE Computer, 1994), as a kvtier user policy. A new block enters a probationary LRU segment, and
// a hit there promotes it to a protected LRU segment. The protected segment takes at most a share
// of the capacity and demotes its least recent block back to probation when it grows past that
// share. Victims come from probation first, so a block requested once cannot push out blocks
// requested twice.
//
// Run it with either command:
//   kvtier run --policy ./examples/policies/segmented-lru.js
//   kvtier cachesim --trace trace.csv --policies './examples/policies/segmented-lru.js(protected=0.5)',lru
//
// The module's default export is a policy definition: a name, a description, parameters with
// defaults, and `create`, which returns one policy instance per cache. kvtier calls the instance
// with integer handles; see docs/policies.md for the contract.

const NONE = -1;

/** A doubly linked list over integer handles, in typed arrays, so a request allocates nothing. */
class HandleList {
  constructor() {
    this.head = NONE;
    this.tail = NONE;
    this.prev = new Int32Array(0);
    this.next = new Int32Array(0);
  }

  grow(handleCapacity) {
    if (handleCapacity <= this.prev.length) return;
    const prev = new Int32Array(handleCapacity);
    const next = new Int32Array(handleCapacity);
    prev.set(this.prev);
    next.set(this.next);
    this.prev = prev;
    this.next = next;
  }

  pushHead(handle) {
    this.prev[handle] = NONE;
    this.next[handle] = this.head;
    if (this.head !== NONE) this.prev[this.head] = handle;
    else this.tail = handle;
    this.head = handle;
  }

  unlink(handle) {
    const before = this.prev[handle];
    const after = this.next[handle];
    if (before !== NONE) this.next[before] = after;
    else this.head = after;
    if (after !== NONE) this.prev[after] = before;
    else this.tail = before;
  }
}

const PROBATION = 1;
const PROTECTED = 2;

class SegmentedLru {
  constructor(params, context) {
    // Capacity is in the unit of the sizes kvtier passes: bytes in `kvtier run`, bytes or objects
    // in `kvtier cachesim`.
    this.protectedCapacity = Math.floor(context.capacity * params.protected);
    this.probation = new HandleList();
    this.protected = new HandleList();
    this.protectedUsed = 0;
    this.segment = new Uint8Array(0);
    this.sizes = new Float64Array(0);
  }

  // kvtier calls grow before it uses a handle at or above the previous capacity.
  grow(handleCapacity) {
    this.probation.grow(handleCapacity);
    this.protected.grow(handleCapacity);
    if (handleCapacity <= this.segment.length) return;
    const segment = new Uint8Array(handleCapacity);
    const sizes = new Float64Array(handleCapacity);
    segment.set(this.segment);
    sizes.set(this.sizes);
    this.segment = segment;
    this.sizes = sizes;
  }

  // A resident block was requested.
  onHit(handle) {
    if (this.segment[handle] === PROTECTED) {
      this.protected.unlink(handle);
      this.protected.pushHead(handle);
      return;
    }
    this.probation.unlink(handle);
    this.protected.pushHead(handle);
    this.segment[handle] = PROTECTED;
    this.protectedUsed += this.sizes[handle];
    // Keep the protected segment within its share: its least recent blocks go back on probation.
    while (this.protectedUsed > this.protectedCapacity && this.protected.tail !== handle) {
      const demoted = this.protected.tail;
      this.protected.unlink(demoted);
      this.protectedUsed -= this.sizes[demoted];
      this.probation.pushHead(demoted);
      this.segment[demoted] = PROBATION;
    }
  }

  // A missed block may be inserted; returning false would keep it out of the cache.
  admit() {
    return true;
  }

  // Choose a victim, forget it and return its handle (-1 when empty). kvtier calls this until the
  // new block fits.
  evict() {
    let victim = this.probation.tail;
    if (victim !== NONE) {
      this.probation.unlink(victim);
    } else {
      victim = this.protected.tail;
      if (victim === NONE) return NONE;
      this.protected.unlink(victim);
      this.protectedUsed -= this.sizes[victim];
    }
    this.segment[victim] = 0;
    return victim;
  }

  // Add the admitted block; kvtier has already made room for it.
  insert(handle, _key, size) {
    this.sizes[handle] = size;
    this.segment[handle] = PROBATION;
    this.probation.pushHead(handle);
  }

  // Forget a block that kvtier removed for another reason than eviction.
  remove(handle) {
    if (this.segment[handle] === PROTECTED) {
      this.protected.unlink(handle);
      this.protectedUsed -= this.sizes[handle];
    } else if (this.segment[handle] === PROBATION) {
      this.probation.unlink(handle);
    }
    this.segment[handle] = 0;
  }
}

/** @type {import('../../policies/policy.js').PolicyDefinition} */
export default {
  name: 'segmented-lru',
  description: 'Segmented LRU (Karedla et al., 1994): a probationary and a protected LRU segment.',
  parameters: [{ name: 'protected', description: 'share of the capacity for blocks hit at least once', defaultValue: 0.8, min: 0, max: 1 }],
  // The policy ranks blocks by handle alone, so the KV store need not describe a demoted block to it.
  readsBlockFacts: false,
  create: (params, context) => new SegmentedLru(params, context),
};
