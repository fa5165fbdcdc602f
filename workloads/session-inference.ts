// Session inference for traces with block ids but no session ids (Mooncake). A request continues
// a session when its prompt starts with every full block of that session's latest request, that
// is, when it extends the earlier request's whole context as far as the trace shows it. Block ids
// stand for their whole prefix, so it is enough to find the id of the earlier request's last full
// block among the new request's blocks. When several sessions qualify, the one whose latest
// request has the longest prefix wins, and among equal prefixes the most recent.
//
// NOTE: a session whose latest request ended inside a shared system prompt's blocks can absorb an
// unrelated request that starts with the same system prompt. The trace holds no information that
// could tell the two apart.

/** Tracks sessions' latest requests and assigns each new request a session id. */
export class SessionInference {
  /** Sessions started so far, which is also the next session id. */
  sessionCount = 0;

  // Id of each session's latest request's last full block, mapped to the session.
  private readonly sessionByLastBlock = new Map<number, number>();
  // Latest request of each active session: arrival and last full block id (NaN when it had none).
  private readonly latestBySession = new Map<number, { arrivalAt: number; lastBlock: number }>();
  // Sessions in the order of their latest request, for forgetting idle ones.
  private queueSessions: number[] = [];
  private queueArrivals: number[] = [];
  private queueHead = 0;

  /** `sessionGapNs`: a session idle for longer than this many ns is forgotten. */
  constructor(
    readonly blockTokens: number,
    readonly sessionGapNs: number,
  ) {}

  /**
   * Returns the session of a request arriving at `arrivalAt` (ns, non-decreasing from call to
   * call) whose prompt of `inputTokens` tokens has block ids `blockIds[0, blockCount)`.
   */
  assign(arrivalAt: number, inputTokens: number, blockIds: Float64Array, blockCount: number): number {
    this.expire(arrivalAt);
    let sessionId = -1;
    for (let index = blockCount - 1; index >= 0; index--) {
      const candidate = this.sessionByLastBlock.get(blockIds[index]);
      if (candidate !== undefined) {
        sessionId = candidate;
        break;
      }
    }
    let latest = sessionId < 0 ? undefined : this.latestBySession.get(sessionId);
    if (latest === undefined) {
      sessionId = this.sessionCount++;
      latest = { arrivalAt, lastBlock: NaN };
      this.latestBySession.set(sessionId, latest);
    } else {
      this.sessionByLastBlock.delete(latest.lastBlock);
    }

    latest.arrivalAt = arrivalAt;
    latest.lastBlock = NaN;
    const fullBlocks = Math.min(Math.floor(inputTokens / this.blockTokens), blockCount);
    if (fullBlocks > 0) {
      const lastBlock = blockIds[fullBlocks - 1];
      const previousOwner = this.sessionByLastBlock.get(lastBlock);
      if (previousOwner !== undefined) this.latestBySession.get(previousOwner)!.lastBlock = NaN;
      this.sessionByLastBlock.set(lastBlock, sessionId);
      latest.lastBlock = lastBlock;
    }
    this.queueSessions.push(sessionId);
    this.queueArrivals.push(arrivalAt);
    return sessionId;
  }

  private expire(now: number): void {
    const limit = now - this.sessionGapNs;
    while (this.queueHead < this.queueSessions.length && this.queueArrivals[this.queueHead] < limit) {
      const sessionId = this.queueSessions[this.queueHead];
      const arrivalAt = this.queueArrivals[this.queueHead];
      this.queueHead++;
      const latest = this.latestBySession.get(sessionId);
      if (latest === undefined || latest.arrivalAt !== arrivalAt) continue;
      this.latestBySession.delete(sessionId);
      if (!Number.isNaN(latest.lastBlock)) this.sessionByLastBlock.delete(latest.lastBlock);
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queueSessions.length) {
      this.queueSessions = this.queueSessions.slice(this.queueHead);
      this.queueArrivals = this.queueArrivals.slice(this.queueHead);
      this.queueHead = 0;
    }
  }
}
