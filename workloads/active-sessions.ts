// The sessions of a trace that are still active: those with a request within the last session
// gap. Each session's state lives in parallel typed arrays indexed by a slot, and slots are reused
// through a free stack. Idle sessions leave through a queue of (session, arrival) pairs. Memory
// therefore follows the number of active sessions, and nothing is allocated per request.

import { IdMap } from './id-map.js';

const INITIAL_SLOTS = 1024;

export class ActiveSessions {
  // Per-slot state, public for the callers that own the meaning of each field.
  sessionIds = new Float64Array(INITIAL_SLOTS);
  turns = new Float64Array(INITIAL_SLOTS);
  lastArrivalAt = new Float64Array(INITIAL_SLOTS);
  /** Elapsed ns of the latest request (NaN when unknown). */
  lastElapsedNs = new Float64Array(INITIAL_SLOTS);
  /** Prompt plus response tokens of the latest request. */
  lastContextTokens = new Float64Array(INITIAL_SLOTS);
  /** Id of the latest request's last full block (NaN when it had none). */
  lastBlock = new Float64Array(INITIAL_SLOTS);

  private readonly slotById = new IdMap(INITIAL_SLOTS);
  private freeSlots = new Int32Array(INITIAL_SLOTS);
  private freeCount = 0;
  private usedSlots = 0;
  // Ring buffer of (session id, arrival) for every request still within the gap.
  private queueIds = new Float64Array(INITIAL_SLOTS);
  private queueArrivals = new Float64Array(INITIAL_SLOTS);
  private queueHead = 0;
  private queueCount = 0;

  /** `sessionGapNs`: a session with no request for longer than this many ns has ended. */
  constructor(readonly sessionGapNs: number) {}

  /** Active sessions. */
  get size(): number {
    return this.slotById.size;
  }

  /** Returns the slot of session `sessionId`, or -1 when it is not active. */
  find(sessionId: number): number {
    return this.slotById.get(sessionId);
  }

  /** Starts session `sessionId` and returns its slot, with zero turns. */
  open(sessionId: number): number {
    let slot: number;
    if (this.freeCount > 0) {
      slot = this.freeSlots[--this.freeCount];
    } else {
      if (this.usedSlots === this.sessionIds.length) this.growSlots();
      slot = this.usedSlots++;
    }
    this.slotById.set(sessionId, slot);
    this.sessionIds[slot] = sessionId;
    this.turns[slot] = 0;
    this.lastArrivalAt[slot] = NaN;
    this.lastElapsedNs[slot] = NaN;
    this.lastContextTokens[slot] = 0;
    this.lastBlock[slot] = NaN;
    return slot;
  }

  /** Records a request of the session in `slot` arriving at `arrivalAt` (non-decreasing). */
  touch(slot: number, arrivalAt: number): void {
    this.turns[slot]++;
    this.lastArrivalAt[slot] = arrivalAt;
    if (this.queueCount === this.queueIds.length) this.growQueue();
    const tail = (this.queueHead + this.queueCount) % this.queueIds.length;
    this.queueIds[tail] = this.sessionIds[slot];
    this.queueArrivals[tail] = arrivalAt;
    this.queueCount++;
  }

  /**
   * Ends the sessions whose latest request arrived more than the gap before `now`, calling
   * `onEnd` with each one's slot before the slot is freed.
   */
  expire(now: number, onEnd?: (slot: number) => void): void {
    const limit = now - this.sessionGapNs;
    while (this.queueCount > 0 && this.queueArrivals[this.queueHead] < limit) {
      const sessionId = this.queueIds[this.queueHead];
      const arrivalAt = this.queueArrivals[this.queueHead];
      this.queueHead = (this.queueHead + 1) % this.queueIds.length;
      this.queueCount--;
      const slot = this.slotById.get(sessionId);
      // Only the session's latest request ends it; earlier ones are stale entries.
      if (slot >= 0 && this.lastArrivalAt[slot] === arrivalAt) this.close(slot, onEnd);
    }
  }

  /** Ends every active session, in the order of their latest requests. */
  endAll(onEnd?: (slot: number) => void): void {
    this.expire(Infinity, onEnd);
  }

  private close(slot: number, onEnd?: (slot: number) => void): void {
    onEnd?.(slot);
    this.slotById.delete(this.sessionIds[slot]);
    this.freeSlots[this.freeCount++] = slot;
  }

  private growSlots(): void {
    const capacity = this.sessionIds.length * 2;
    const grow = (old: Float64Array) => {
      const grown = new Float64Array(capacity);
      grown.set(old);
      return grown;
    };
    this.sessionIds = grow(this.sessionIds);
    this.turns = grow(this.turns);
    this.lastArrivalAt = grow(this.lastArrivalAt);
    this.lastElapsedNs = grow(this.lastElapsedNs);
    this.lastContextTokens = grow(this.lastContextTokens);
    this.lastBlock = grow(this.lastBlock);
    this.freeSlots = new Int32Array(capacity);
  }

  // Doubles the ring buffer, unrolling it so that the head moves to index 0.
  private growQueue(): void {
    const capacity = this.queueIds.length * 2;
    const ids = new Float64Array(capacity);
    const arrivals = new Float64Array(capacity);
    for (let index = 0; index < this.queueCount; index++) {
      const from = (this.queueHead + index) % this.queueIds.length;
      ids[index] = this.queueIds[from];
      arrivals[index] = this.queueArrivals[from];
    }
    this.queueIds = ids;
    this.queueArrivals = arrivals;
    this.queueHead = 0;
  }
}
