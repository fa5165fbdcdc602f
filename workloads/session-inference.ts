// Session inference for traces with block ids but no session ids (Mooncake). A request continues
// a session when its prompt starts with every full block of that session's latest request, that
// is, when it extends the earlier request's whole context as far as the trace shows it. Block ids
// stand for their whole prefix, so it is enough to find the id of the earlier request's last full
// block among the new request's blocks. When several sessions qualify, the one whose latest
// request has the longest prefix wins, and among equal prefixes the most recent.
//
// NOTE: a session whose latest request ended inside a shared system prompt's blocks can absorb an
// unrelated request that starts with the same system prompt. The trace contains no information that
// could tell the two apart.

import { ActiveSessions } from './active-sessions.js';
import { IdMap } from './id-map.js';

/** Tracks sessions' latest requests and assigns each new request a session id. */
export class SessionInference {
  /** Sessions started so far, which is also the next session id. */
  sessionCount = 0;

  private readonly active: ActiveSessions;
  // Id of each active session's latest request's last full block, mapped to the session id.
  private readonly sessionByLastBlock = new IdMap();
  private readonly forget = (slot: number) => {
    const lastBlock = this.active.lastBlock[slot];
    if (!Number.isNaN(lastBlock)) this.sessionByLastBlock.delete(lastBlock);
  };

  /** `sessionGapNs`: a session idle for longer than this many ns is forgotten. */
  constructor(
    readonly blockTokens: number,
    sessionGapNs: number,
  ) {
    this.active = new ActiveSessions(sessionGapNs);
  }

  /** Sessions currently remembered. */
  get activeCount(): number {
    return this.active.size;
  }

  /**
   * Returns the session of a request arriving at `arrivalAt` (ns, non-decreasing from call to
   * call) whose prompt of `inputTokens` tokens has block ids `blockIds[0, blockCount)`.
   */
  assign(arrivalAt: number, inputTokens: number, blockIds: Float64Array, blockCount: number): number {
    const active = this.active;
    active.expire(arrivalAt, this.forget);
    let slot = -1;
    for (let index = blockCount - 1; index >= 0 && slot < 0; index--) {
      const candidate = this.sessionByLastBlock.get(blockIds[index]);
      if (candidate >= 0) slot = active.find(candidate);
    }
    if (slot < 0) {
      slot = active.open(this.sessionCount++);
    } else {
      this.forget(slot);
    }

    active.lastBlock[slot] = NaN;
    const fullBlocks = Math.min(Math.floor(inputTokens / this.blockTokens), blockCount);
    if (fullBlocks > 0) {
      const lastBlock = blockIds[fullBlocks - 1];
      const previousOwner = this.sessionByLastBlock.get(lastBlock);
      if (previousOwner >= 0) active.lastBlock[active.find(previousOwner)] = NaN;
      this.sessionByLastBlock.set(lastBlock, active.sessionIds[slot]);
      active.lastBlock[slot] = lastBlock;
    }
    active.touch(slot, arrivalAt);
    return active.sessionIds[slot];
  }
}
