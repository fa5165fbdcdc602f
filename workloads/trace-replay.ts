// Replaying a trace as a workload. Every reader yields the trace's rows in file order as request
// records. `OpenLoopTrace` sends each at its recorded instant. `ClosedLoopReplay` sends each
// session's first turn at its recorded instant, and every later turn at the previous turn's
// simulated completion plus the recorded think time.

import { TraceError } from './line-reader.js';
import { createRequestRecord, reserveBlocks, type RequestRecord, type Workload } from './request.js';

/** A streaming reader of one trace file, one row per `next` call. */
export interface TraceReader {
  readonly path: string;
  readonly blockTokens: number;
  /** Whether rows carry session ids (given by the trace, not inferred). */
  readonly hasSessions: boolean;
  /** Line number of the row `next` returned last, counting from 1. */
  readonly lineNumber: number;
  /** Elapsed time of the row `next` returned last (submission to full response) in ns; NaN when the trace does not record it. */
  readonly elapsedNs: number;
  /** Invalid lines skipped so far; always 0 unless the reader was opened with `skipBadLines`. */
  readonly skippedLines: number;
  /** Writes the next row into `out`; returns false at the end of the file. */
  next(out: RequestRecord): boolean;
  close(): void;
}

/** Options that every trace reader accepts. */
export interface TraceReaderOptions {
  /** Skip lines that fail to parse and count them, instead of throwing on the first one. */
  skipBadLines?: boolean;
}

/** Replays a trace open-loop: each row arrives at its recorded instant, whatever the simulator does. */
export class OpenLoopTrace implements Workload {
  readonly blockTokens: number;

  constructor(readonly reader: TraceReader) {
    this.blockTokens = reader.blockTokens;
  }

  nextArrival(out: RequestRecord): boolean {
    return this.reader.next(out);
  }

  /** Returns false: in open-loop replay no request waits for another's completion. */
  nextTurn(_completed: RequestRecord, _completedAt: number, _out: RequestRecord): boolean {
    return false;
  }

  close(): void {
    this.reader.close();
  }
}

// A row read ahead of its turn, kept until the simulator requests it.
interface BufferedRow {
  recordedAt: number;
  elapsedNs: number;
  record: RequestRecord;
}

interface ClosedSession {
  rows: BufferedRow[];
  lastRecordedAt: number;
  lastElapsedNs: number;
}

/**
 * Replays a trace with sessions closed-loop. Rows without a session, and the first row of each
 * session, arrive at their recorded instants. A later row of a session arrives at the simulated
 * completion of the session's previous row plus the recorded think time. That think time is the
 * recorded gap between the two rows minus the previous row's elapsed time, at least 0, or the
 * whole gap when the trace records no elapsed time.
 *
 * The trace is read only as far as needed. When the simulator completes a turn whose session has
 * no buffered next row, rows are read ahead until that session's next row appears, or a row more
 * than `sessionGapNs` after the session's last row shows that the session has ended. Rows read on
 * the way are buffered, so memory keeps at most one session gap's worth of rows.
 */
export class ClosedLoopReplay implements Workload {
  readonly blockTokens: number;

  private readonly firstTurns: BufferedRow[] = [];
  private firstTurnHead = 0;
  private readonly sessions = new Map<number, ClosedSession>();
  private readonly scratch = createRequestRecord(64);
  private lastReadAt = 0;
  private endOfTrace = false;

  constructor(
    readonly reader: TraceReader,
    readonly sessionGapNs: number,
  ) {
    if (!reader.hasSessions) {
      throw new TraceError(reader.path, 0, undefined, 'closed-loop replay needs a trace with session ids, and this trace has none; replay it open-loop');
    }
    this.blockTokens = reader.blockTokens;
  }

  /** Writes the next session start or sessionless row into `out`, at its recorded instant. */
  nextArrival(out: RequestRecord): boolean {
    while (this.firstTurnHead === this.firstTurns.length) {
      if (!this.readRow()) return false;
    }
    const row = this.firstTurns[this.firstTurnHead];
    this.firstTurns[this.firstTurnHead++] = undefined as unknown as BufferedRow;
    if (this.firstTurnHead > 1024 && this.firstTurnHead * 2 > this.firstTurns.length) {
      this.firstTurns.splice(0, this.firstTurnHead);
      this.firstTurnHead = 0;
    }
    copyRecord(row.record, out);
    out.arrivalAt = row.recordedAt;
    return true;
  }

  /** Writes the session's next row into `out`, one recorded think time after `completedAt`. */
  nextTurn(completed: RequestRecord, completedAt: number, out: RequestRecord): boolean {
    const sessionId = completed.sessionId;
    const session = this.sessions.get(sessionId);
    if (session === undefined) return false;
    while (session.rows.length === 0) {
      if (this.endOfTrace || this.lastReadAt > session.lastRecordedAt + this.sessionGapNs || !this.readRow()) {
        this.sessions.delete(sessionId);
        return false;
      }
    }
    const row = session.rows.shift()!;
    const previousEndAt = session.lastRecordedAt + (Number.isNaN(session.lastElapsedNs) ? 0 : session.lastElapsedNs);
    const thinkNs = Math.max(0, row.recordedAt - previousEndAt);
    session.lastRecordedAt = row.recordedAt;
    session.lastElapsedNs = row.elapsedNs;
    copyRecord(row.record, out);
    out.arrivalAt = completedAt + thinkNs;
    return true;
  }

  close(): void {
    this.reader.close();
  }

  // Reads one row and files it as a first turn or under its session; returns false at the end.
  private readRow(): boolean {
    if (this.endOfTrace) return false;
    const record = this.scratch;
    if (!this.reader.next(record)) {
      this.endOfTrace = true;
      return false;
    }
    this.lastReadAt = record.arrivalAt;
    const row: BufferedRow = { recordedAt: record.arrivalAt, elapsedNs: this.reader.elapsedNs, record: cloneRecord(record) };
    const session = record.sessionId < 0 ? undefined : this.sessions.get(record.sessionId);
    if (session !== undefined && record.turn !== 0) {
      session.rows.push(row);
      return true;
    }
    // Other rows start a session at their recorded instant: rows without a session, first turns,
    // and later turns of a session the replay does not know. The last come from a trace cut
    // before the session's start, or from a row after the session gap.
    this.firstTurns.push(row);
    if (record.sessionId >= 0) {
      this.sessions.set(record.sessionId, { rows: [], lastRecordedAt: row.recordedAt, lastElapsedNs: row.elapsedNs });
    }
    return true;
  }
}

function cloneRecord(record: RequestRecord): RequestRecord {
  const copy = createRequestRecord(Math.max(1, record.promptBlockCount, record.contextBlockCount));
  copyRecord(record, copy);
  return copy;
}

/** Copies every field of `from` into `to`, growing `to`'s block buffers as needed. */
export function copyRecord(from: RequestRecord, to: RequestRecord): void {
  reserveBlocks(to, Math.max(from.promptBlockCount, from.contextBlockCount));
  to.arrivalAt = from.arrivalAt;
  to.sessionId = from.sessionId;
  to.turn = from.turn;
  to.inputTokens = from.inputTokens;
  to.outputTokens = from.outputTokens;
  to.promptBlockIds.set(from.promptBlockIds.subarray(0, from.promptBlockCount));
  to.promptBlockCount = from.promptBlockCount;
  to.contextBlockIds.set(from.contextBlockIds.subarray(0, from.contextBlockCount));
  to.contextBlockCount = from.contextBlockCount;
  to.tenant = from.tenant;
}
