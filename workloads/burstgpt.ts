// Reader for BurstGPT traces (HPMLL/BurstGPT, release v2.0). The file is CSV with a header:
//   Timestamp,Session ID,Elapsed time,Model,Request tokens,Response tokens,Total tokens,Log Type
//   19440110.0,1722ac82-0a46-4bf0-aa08-89794e7a2b3f,43,GPT-4,906,446,1352,Conversation log
// `Timestamp` is seconds, `Elapsed time` is seconds from submission to the full response, and
// `Session ID` groups the turns of a conversation (it is empty on API rows). Columns are found by
// name, so their order does not matter, and columns other than these five are ignored.
//
// The trace records token counts but no block ids. kvtier assumes each turn's prompt starts with
// the session's previous context, so the ids follow one hash chain per session and a turn's prompt
// hits the previous turn's prompt and response. Rows without a session share no blocks.

import { ChainBlockIds } from './block-ids.js';
import { findColumns, parseCount, parseNonNegative, splitCsvLine } from './csv.js';
import { LineReader, TraceError } from './line-reader.js';
import type { RequestRecord } from './request.js';
import { SessionTable } from './session-table.js';
import { LineTraceReader } from './line-trace-reader.js';
import type { TraceReader, TraceReaderOptions } from './trace-replay.js';

export interface BurstGptOptions extends TraceReaderOptions {
  /** Tokens per KV block of the ids kvtier assigns (default 256). */
  blockTokens?: number;
  /** A session with no row for longer than this many seconds has ended (default 86400, one day). */
  sessionGapSec?: number;
  /** Seed of the block-id hashes (default 1). */
  seed?: number | string;
}

export const BURSTGPT_DEFAULT_BLOCK_TOKENS = 256;
export const DEFAULT_SESSION_GAP_SEC = 86_400;

const COLUMNS = ['Timestamp', 'Session ID', 'Elapsed time', 'Request tokens', 'Response tokens'] as const;
const NS_PER_SEC = 1_000_000_000;

/** Streams a BurstGPT trace one row at a time, numbering sessions in order of their first row. */
export class BurstGptTraceReader extends LineTraceReader implements TraceReader {
  readonly blockTokens: number;
  readonly hasSessions = true;
  readonly sessionGapNs: number;
  elapsedNs = NaN;

  protected readonly reader: LineReader;
  protected readonly skipBadLines: boolean;
  private readonly blockIds: ChainBlockIds;
  private readonly sessions: SessionTable;
  private readonly fields: string[] = [];
  private readonly columns: Record<(typeof COLUMNS)[number], number>;
  private firstTimestampSec = NaN;
  private previousTimestampSec = -Infinity;
  private previousLineNumber = 0;
  private requestIndex = 0;

  constructor(
    readonly path: string,
    options: BurstGptOptions = {},
  ) {
    super();
    const blockTokens = options.blockTokens ?? BURSTGPT_DEFAULT_BLOCK_TOKENS;
    if (!Number.isSafeInteger(blockTokens) || blockTokens < 1) {
      throw new RangeError(`blockTokens must be a positive integer, received ${blockTokens}`);
    }
    const sessionGapSec = options.sessionGapSec ?? DEFAULT_SESSION_GAP_SEC;
    if (!(sessionGapSec > 0) || !Number.isFinite(sessionGapSec)) {
      throw new RangeError(`sessionGapSec must be a positive number of seconds, received ${sessionGapSec}`);
    }
    this.blockTokens = blockTokens;
    this.sessionGapNs = Math.round(sessionGapSec * NS_PER_SEC);
    this.skipBadLines = options.skipBadLines ?? false;
    this.blockIds = new ChainBlockIds(options.seed ?? 1, blockTokens);
    this.sessions = new SessionTable(this.sessionGapNs);
    this.reader = new LineReader(path);
    const header = this.reader.next();
    if (header === undefined) {
      this.reader.close();
      throw new TraceError(path, 0, undefined, `the file is empty, expected a header with ${COLUMNS.map((name) => `"${name}"`).join(', ')}`);
    }
    splitCsvLine(header, this.fields);
    this.columns = findColumns(path, this.fields, COLUMNS);
  }

  /** Sessions started so far. */
  get sessionCount(): number {
    return this.sessions.sessionCount;
  }

  protected parse(line: string, lineNumber: number, out: RequestRecord): void {
    const fields = this.fields;
    splitCsvLine(line, fields);
    const columns = this.columns;
    const path = this.path;
    const timestampText = fields[columns.Timestamp] ?? '';
    const timestampSec = parseNonNegative(path, lineNumber, 'Timestamp', timestampText);
    const elapsedSec = parseNonNegative(path, lineNumber, 'Elapsed time', fields[columns['Elapsed time']] ?? '');
    const inputTokens = parseCount(path, lineNumber, 'Request tokens', fields[columns['Request tokens']] ?? '');
    const outputTokens = parseCount(path, lineNumber, 'Response tokens', fields[columns['Response tokens']] ?? '');
    const sessionKey = (fields[columns['Session ID']] ?? '').trim();
    if (timestampSec < this.previousTimestampSec) {
      throw new TraceError(
        path,
        lineNumber,
        'Timestamp',
        `column "Timestamp" is "${timestampText}", lower than ${this.previousTimestampSec} on line ${this.previousLineNumber}; expected timestamps in non-decreasing order`,
      );
    }
    if (Number.isNaN(this.firstTimestampSec)) this.firstTimestampSec = timestampSec;
    const arrivalAt = Math.round((timestampSec - this.firstTimestampSec) * NS_PER_SEC);
    if (!Number.isSafeInteger(arrivalAt)) {
      throw new TraceError(path, lineNumber, 'Timestamp', `column "Timestamp" is "${timestampText}", more than 2^53 ns (about 104 days) after the first row`);
    }

    this.previousTimestampSec = timestampSec;
    this.previousLineNumber = lineNumber;
    this.elapsedNs = Math.round(elapsedSec * NS_PER_SEC);
    out.arrivalAt = arrivalAt;
    out.inputTokens = inputTokens;
    out.outputTokens = outputTokens;
    out.tenant = 0;
    if (sessionKey.length === 0) {
      out.sessionId = -1;
      out.turn = 0;
      this.sessions.expire(arrivalAt);
    } else {
      const session = this.sessions.touch(sessionKey, arrivalAt, this.elapsedNs);
      out.sessionId = session.sessionId;
      out.turn = session.turn;
    }
    this.blockIds.write(out.sessionId, this.requestIndex++, out);
  }
}
