// Session ids for traces that name sessions by string (BurstGPT's `Session ID`). A key gets the
// next integer id on its first row, and its rows count turns from 0. A session that has no row for
// longer than the session gap is forgotten, so the table holds only sessions seen within the gap
// and memory does not grow with the trace length. A key that returns after the gap starts a new
// session with a new id.

/** A session as `SessionTable.touch` returns it. Fields are overwritten on the next call. */
export interface SessionTurn {
  sessionId: number;
  turn: number;
  /** Arrival instant of the session's previous row in ns, or NaN on its first row. */
  previousArrivalAt: number;
  /** Elapsed time of the session's previous row in ns, or NaN when unknown or on its first row. */
  previousElapsedNs: number;
}

interface SessionEntry {
  sessionId: number;
  turns: number;
  lastArrivalAt: number;
  lastElapsedNs: number;
}

/** A session key: the trace's string id, or an integer id. Integers are cheaper map keys. */
export type SessionKey = string | number;

export class SessionTable {
  /** Sessions started so far, which is also the next session id. */
  sessionCount = 0;

  private readonly entries = new Map<SessionKey, SessionEntry>();
  // Keys in the order of their rows, with each row's arrival, for expiring idle sessions. A key
  // appears once per row, and an entry is forgotten only when its latest row leaves the queue.
  private queueKeys: SessionKey[] = [];
  private queueArrivals: number[] = [];
  private queueHead = 0;
  private readonly result: SessionTurn = { sessionId: 0, turn: 0, previousArrivalAt: NaN, previousElapsedNs: NaN };

  /** `sessionGapNs`: idle time after which a session is forgotten, in ns. */
  constructor(readonly sessionGapNs: number) {}

  /** Sessions currently remembered. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Records a row of session `key` arriving at `arrivalAt` (ns, non-decreasing from call to call)
   * with elapsed time `elapsedNs` (NaN when unknown), and returns its session id and turn. The
   * returned object is reused by the next call.
   */
  touch(key: SessionKey, arrivalAt: number, elapsedNs: number): SessionTurn {
    this.expire(arrivalAt);
    const result = this.result;
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { sessionId: this.sessionCount++, turns: 0, lastArrivalAt: NaN, lastElapsedNs: NaN };
      this.entries.set(key, entry);
    }
    result.sessionId = entry.sessionId;
    result.turn = entry.turns;
    result.previousArrivalAt = entry.lastArrivalAt;
    result.previousElapsedNs = entry.lastElapsedNs;
    entry.turns++;
    entry.lastArrivalAt = arrivalAt;
    entry.lastElapsedNs = elapsedNs;
    this.queueKeys.push(key);
    this.queueArrivals.push(arrivalAt);
    return result;
  }

  /**
   * Forgets sessions whose last row arrived more than the session gap before `now`, calling
   * `onEnd` with each one's id, turn count and key.
   */
  expire(now: number, onEnd?: (sessionId: number, turns: number, key: SessionKey) => void): void {
    const limit = now - this.sessionGapNs;
    while (this.queueHead < this.queueKeys.length && this.queueArrivals[this.queueHead] < limit) {
      const key = this.queueKeys[this.queueHead];
      const arrivalAt = this.queueArrivals[this.queueHead];
      this.queueHead++;
      const entry = this.entries.get(key);
      if (entry !== undefined && entry.lastArrivalAt === arrivalAt) {
        this.entries.delete(key);
        onEnd?.(entry.sessionId, entry.turns, key);
      }
    }
    // Drops the consumed part of the queue once it is most of the arrays.
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queueKeys.length) {
      this.queueKeys = this.queueKeys.slice(this.queueHead);
      this.queueArrivals = this.queueArrivals.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  /** Forgets every session, calling `onEnd` for each, in the order they were started. */
  endAll(onEnd?: (sessionId: number, turns: number, key: SessionKey) => void): void {
    const remaining = [...this.entries].sort((a, b) => a[1].sessionId - b[1].sessionId);
    this.entries.clear();
    this.queueKeys = [];
    this.queueArrivals = [];
    this.queueHead = 0;
    if (onEnd !== undefined) for (const [key, entry] of remaining) onEnd(entry.sessionId, entry.turns, key);
  }
}
