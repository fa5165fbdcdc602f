// The request record that every workload writes and the simulator reads. Records and their
// block-id buffers are owned by the simulator's request pool and reused, so a workload writes into
// the record it is given and never keeps a reference to it.

/** One request (one turn of a conversation) as a workload yields it. */
export interface RequestRecord {
  /** Arrival instant in simulated nanoseconds. */
  arrivalAt: number;
  /** Session the request belongs to, or -1 when the workload has no sessions. */
  sessionId: number;
  /** Turn number within the session, counting from 0. */
  turn: number;
  /** Prompt length in tokens, including any reused context. */
  inputTokens: number;
  /** Number of tokens to generate. */
  outputTokens: number;
  /** Ids of the prompt's blocks, head first; entries [0, promptBlockCount) are valid. */
  promptBlockIds: Float64Array;
  promptBlockCount: number;
  /**
   * Ids of the blocks covering prompt plus output, head first, when the workload generates them
   * (synthetic sessions). The count is 0 otherwise, because a trace records only prompt blocks.
   */
  contextBlockIds: Float64Array;
  contextBlockCount: number;
  /** Tenant index, 0 when the workload has a single tenant. */
  tenant: number;
}

export function createRequestRecord(blockCapacity = 64): RequestRecord {
  return {
    arrivalAt: 0,
    sessionId: -1,
    turn: 0,
    inputTokens: 0,
    outputTokens: 0,
    promptBlockIds: new Float64Array(blockCapacity),
    promptBlockCount: 0,
    contextBlockIds: new Float64Array(blockCapacity),
    contextBlockCount: 0,
    tenant: 0,
  };
}

/** Makes sure `record` can hold `blockCount` prompt and context block ids, growing its buffers by doubling. */
export function reserveBlocks(record: RequestRecord, blockCount: number): void {
  if (record.promptBlockIds.length < blockCount) {
    const grown = new Float64Array(Math.max(blockCount, record.promptBlockIds.length * 2));
    grown.set(record.promptBlockIds);
    record.promptBlockIds = grown;
  }
  if (record.contextBlockIds.length < blockCount) {
    const grown = new Float64Array(Math.max(blockCount, record.contextBlockIds.length * 2));
    grown.set(record.contextBlockIds);
    record.contextBlockIds = grown;
  }
}

/**
 * A source of requests. Open-loop arrivals (new sessions, trace requests) come from `nextArrival`
 * in non-decreasing `arrivalAt` order. A closed-loop workload also yields each session's next turn
 * from `nextTurn` once the previous turn completes.
 */
export interface Workload {
  /** Tokens per KV block; block ids refer to blocks of this many tokens. */
  readonly blockTokens: number;
  /** Writes the next open-loop arrival into `out`; returns false when there are no more. */
  nextArrival(out: RequestRecord): boolean;
  /**
   * Writes the next turn of `completed`'s session into `out`, with `arrivalAt` set to `completedAt`
   * plus a think time, and returns true. Returns false when the session has ended or the workload
   * is open-loop. `completed` and `out` may be the same record.
   */
  nextTurn(completed: RequestRecord, completedAt: number, out: RequestRecord): boolean;
  /** Releases files or other resources. */
  close(): void;
}
