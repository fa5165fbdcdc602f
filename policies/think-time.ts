// Think-time-aware eviction. In multi-turn chat a session's blocks are reused only when the user
// sends the next turn, one think time after the previous turn completed. The policy estimates, for
// each session with resident blocks, the probability that it returns within the next `horizon`
// seconds, given how long it has been idle, and evicts from the session least likely to return.
//
// With think time T lognormal (fitted by its median and 90th percentile), a session continuing with
// probability q after each turn, and idle time t since its latest block request, that probability is
//   P(t) = q (F(t + h) - F(t)) / (1 - q F(t)),
// where F is T's distribution function and h the horizon. The numerator is the chance that the
// next turn exists and lands in the window. The denominator is the chance that the session is
// still alive after t idle seconds. P rises while a typical user is still thinking and then falls as the
// session looks abandoned. The defaults are the synthetic workload's: median 116 s, p90 1,372 s,
// and a geometric number of turns with mean 4.8, so q = 1 - 1/4.8.
//
// Sessions sit in a list ordered by their latest activity. Because P is single-peaked in t, its
// minimum over the sessions is at one end of that list: the session idle longest, or the one active
// most recently. The victim session is the one of those two with the lower P (the idle one on a
// tie). Within a session, blocks are ordered as in prefix-aware LRU, so its tail goes first and
// what stays is a usable prefix. Blocks without a session (and every object in object-trace mode)
// share one pseudo-session, so there the policy is prefix-aware LRU.
//
// NOTE: a tier below the GPU learns of a session's activity only from the blocks it receives and
// the reads it serves, so its view of idle times lags the GPU tier's.

import { PolicyError } from './errors.js';
import { KeyTable } from './key-table.js';
import { DoublyLinkedList } from './list.js';
import { ListSet } from './list-set.js';
import type { AccessInfo, EvictionPolicy, PolicyContext, PolicyDefinition } from './policy.js';

const NS_PER_SEC = 1e9;
/** z-score of the 90th percentile of the standard normal distribution. */
const Z_P90 = 1.2815515655446004;

class ThinkTime implements EvictionPolicy {
  private readonly access: AccessInfo;
  private readonly blocks = new ListSet();
  /** Session slots ordered by latest activity, most recent at the head. */
  private readonly sessionOrder = new DoublyLinkedList();
  private readonly slotOfSession = new KeyTable();
  private sessionKey = new Float64Array(0);
  private activeAt = new Float64Array(0);
  private freeSlots = new Int32Array(0);
  private freeCount = 0;
  private slotCount = 0;

  private readonly logMedian: number;
  private readonly logSigma: number;
  private readonly continuation: number;
  private readonly horizonSec: number;

  constructor(params: Readonly<Record<string, number>>, context: PolicyContext) {
    if (!(params.p90 > params.median)) {
      throw new PolicyError(`policy "think-time": parameter "p90" is ${params.p90}: expected a number above median (${params.median})`);
    }
    this.access = context.access;
    this.logMedian = Math.log(params.median);
    this.logSigma = Math.log(params.p90 / params.median) / Z_P90;
    this.continuation = params.continuation;
    this.horizonSec = params.horizon;
    this.growSlots(16);
  }

  grow(handleCapacity: number): void {
    this.blocks.growHandles(handleCapacity);
  }

  onHit(handle: number): void {
    this.unlinkBlock(handle);
    this.linkBlock(handle);
  }

  admit(): boolean {
    return true;
  }

  evict(): number {
    const oldest = this.sessionOrder.tail;
    if (oldest === -1) return -1;
    const newest = this.sessionOrder.head;
    let slot = oldest;
    if (newest !== oldest && this.returnProbability(newest) < this.returnProbability(oldest)) slot = newest;
    const victim = this.blocks.tailOf(slot);
    this.unlinkBlock(victim);
    return victim;
  }

  insert(handle: number): void {
    this.linkBlock(handle);
  }

  remove(handle: number): void {
    this.unlinkBlock(handle);
  }

  /** Probability that the session in `slot` sends its next turn within the horizon, from its idle time. */
  private returnProbability(slot: number): number {
    const idleSec = Math.max(0, this.access.now - this.activeAt[slot]) / NS_PER_SEC;
    const q = this.continuation;
    const alive = 1 - q * this.thinkTimeCdf(idleSec);
    if (alive <= 0) return 0;
    return (q * (this.thinkTimeCdf(idleSec + this.horizonSec) - this.thinkTimeCdf(idleSec))) / alive;
  }

  private thinkTimeCdf(seconds: number): number {
    if (seconds <= 0) return 0;
    return 0.5 * erfc(-(Math.log(seconds) - this.logMedian) / (this.logSigma * Math.SQRT2));
  }

  // Links a block into its session's list, behind the context's previous block when that block is
  // in the same list, and records the session's activity.
  private linkBlock(handle: number): void {
    const access = this.access;
    const slot = this.sessionSlot(access.session, access.lastAccessAt);
    const previous = access.previousHandle;
    if (previous >= 0 && previous !== handle && this.blocks.listOf(previous) === slot) this.blocks.insertAfter(previous, handle);
    else this.blocks.pushHead(slot, handle);
  }

  private unlinkBlock(handle: number): void {
    const slot = this.blocks.listOf(handle);
    if (slot === -1) return;
    this.blocks.unlink(handle);
    if (this.blocks.lengthOf(slot) === 0) this.releaseSlot(slot);
  }

  // Returns the slot of `session`, creating it, and moves it to its place in the activity order.
  private sessionSlot(session: number, activeAt: number): number {
    let slot = this.slotOfSession.get(session);
    if (slot === -1) {
      slot = this.allocateSlot(session);
      this.activeAt[slot] = activeAt;
    } else {
      if (activeAt <= this.activeAt[slot]) return slot;
      this.activeAt[slot] = activeAt;
      this.sessionOrder.unlink(slot);
    }
    // A request moves its session to the head. A demoted block may carry an older instant, and
    // then the session goes behind the last session at least as recent. The search walks from both
    // ends at once, so it costs the distance to the nearer end.
    const order = this.sessionOrder;
    if (order.head === -1 || this.activeAt[order.head] <= activeAt) {
      order.pushHead(slot);
      return slot;
    }
    let anchor = -1;
    let fromHead = order.head;
    let fromTail = order.tail;
    while (anchor === -1) {
      const next = order.nextOf(fromHead);
      if (this.activeAt[fromTail] >= activeAt) anchor = fromTail;
      else if (next === -1 || this.activeAt[next] < activeAt) anchor = fromHead;
      fromHead = next;
      fromTail = order.prevOf(fromTail);
    }
    order.insertAfter(anchor, slot);
    return slot;
  }

  private allocateSlot(session: number): number {
    let slot: number;
    if (this.freeCount > 0) {
      slot = this.freeSlots[--this.freeCount];
    } else {
      slot = this.slotCount++;
      if (slot >= this.sessionKey.length) this.growSlots(this.sessionKey.length * 2);
    }
    this.sessionKey[slot] = session;
    this.slotOfSession.set(session, slot);
    return slot;
  }

  private releaseSlot(slot: number): void {
    this.sessionOrder.unlink(slot);
    this.slotOfSession.delete(this.sessionKey[slot]);
    this.freeSlots[this.freeCount++] = slot;
  }

  private growSlots(capacity: number): void {
    const sessionKey = new Float64Array(capacity);
    const activeAt = new Float64Array(capacity);
    const freeSlots = new Int32Array(capacity);
    sessionKey.set(this.sessionKey);
    activeAt.set(this.activeAt);
    freeSlots.set(this.freeSlots);
    this.sessionKey = sessionKey;
    this.activeAt = activeAt;
    this.freeSlots = freeSlots;
    this.sessionOrder.grow(capacity);
    this.blocks.growLists(capacity);
  }
}

/**
 * Returns the complementary error function by a Chebyshev-fitted approximation, within 1e-7 of the
 * exact values that the tests check.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

export const thinkTime: PolicyDefinition = {
  name: 'think-time',
  description: 'Think-time-aware: evicts from the session least likely to send its next turn within the horizon, tail blocks first.',
  parameters: [
    { name: 'median', description: 'median think time between turns, in seconds', defaultValue: 116, min: 1e-6 },
    { name: 'p90', description: '90th percentile of the think time, in seconds (above the median)', defaultValue: 1372, min: 1e-6 },
    { name: 'continuation', description: 'probability that a session sends another turn after each turn', defaultValue: 0.79, min: 0, max: 1 },
    { name: 'horizon', description: 'window in which a return counts, in seconds', defaultValue: 116, min: 1e-6 },
  ],
  create: (params, context) => new ThinkTime(params, context),
};
