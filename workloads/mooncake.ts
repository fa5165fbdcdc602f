// Reader for Mooncake's JSONL request traces (kvcache-ai/Mooncake, FAST'25 release). Each line
// is one request:
//   {"timestamp": 0, "input_length": 6758, "output_length": 500, "hash_ids": [0, 1, ..., 13]}
// `timestamp` is milliseconds since the trace start, the lengths are tokens, and `hash_ids` has
// one id per 512-token block of the prompt. Each id stands for its block and every block before
// it, which is the block-id meaning the simulator uses. The trace is replayed open-loop: requests
// arrive at their timestamps, and output blocks have no ids because the trace does not record them.

import { LineReader, TraceError } from './line-reader.js';
import { createRequestRecord, reserveBlocks, type RequestRecord, type Workload } from './request.js';
import type { TraceReader, TraceReaderOptions } from './trace-replay.js';

export { TraceError } from './line-reader.js';

// workloads/ may not import sim/, so the clock's unit is restated here: integer nanoseconds.
const NS_PER_MS = 1_000_000;

/** Tokens per `hash_ids` block in the published Mooncake traces. */
export const MOONCAKE_BLOCK_TOKENS = 512;

/** The largest timestamp, in ms, whose instant in ns stays below 2^53 (about 104 days). */
const MAX_TIMESTAMP_MS = Math.floor(Number.MAX_SAFE_INTEGER / NS_PER_MS);

// Longer values are cut in error messages.
const MAX_SHOWN_CHARS = 60;

export interface MooncakeOptions {
  /** Tokens per block of `hash_ids` (default 512). */
  blockTokens?: number;
}

/** A Mooncake trace as an open-loop workload, read one line at a time. */
export class MooncakeTrace implements Workload {
  readonly blockTokens: number;
  private readonly parser: MooncakeLineParser;
  private readonly reader: LineReader;

  /** Opens the trace at `path`; throws `TraceError` if it cannot be opened. */
  constructor(
    readonly path: string,
    options: MooncakeOptions = {},
  ) {
    this.blockTokens = checkBlockTokens(options.blockTokens);
    this.parser = new MooncakeLineParser(path, this.blockTokens);
    this.reader = new LineReader(path);
  }

  /** Writes the next request into `out`; returns false at the end of the trace. */
  nextArrival(out: RequestRecord): boolean {
    for (let line = this.reader.next(); line !== undefined; line = this.reader.next()) {
      if (line.trim().length > 0) {
        this.parser.parse(line, this.reader.lineNumber, out);
        return true;
      }
    }
    return false;
  }

  /** Returns false: a Mooncake trace has no sessions, so no request follows another's completion. */
  nextTurn(_completed: RequestRecord, _completedAt: number, _out: RequestRecord): boolean {
    return false;
  }

  close(): void {
    this.reader.close();
  }
}

/** Streams a Mooncake trace as a `TraceReader`, for statistics, fitting and conversion. */
export class MooncakeTraceReader implements TraceReader {
  readonly blockTokens: number;
  readonly hasSessions = false;
  readonly elapsedNs = NaN;
  skippedLines = 0;
  private readonly parser: MooncakeLineParser;
  private readonly reader: LineReader;
  private readonly skipBadLines: boolean;

  constructor(
    readonly path: string,
    options: MooncakeOptions & TraceReaderOptions = {},
  ) {
    this.blockTokens = checkBlockTokens(options.blockTokens);
    this.skipBadLines = options.skipBadLines ?? false;
    this.parser = new MooncakeLineParser(path, this.blockTokens);
    this.reader = new LineReader(path);
  }

  get lineNumber(): number {
    return this.reader.lineNumber;
  }

  next(out: RequestRecord): boolean {
    for (let line = this.reader.next(); line !== undefined; line = this.reader.next()) {
      if (line.trim().length === 0) continue;
      try {
        this.parser.parse(line, this.reader.lineNumber, out);
        return true;
      } catch (error) {
        if (!this.skipBadLines || !(error instanceof TraceError)) throw error;
        this.skippedLines++;
      }
    }
    return false;
  }

  close(): void {
    this.reader.close();
  }
}

/**
 * Reads every request of the trace at `path` in order and passes each to `visit` with its line
 * number, for block-level replays that need no timing. The record is reused for each line, so
 * `visit` copies what it keeps.
 */
export function forEachMooncakeRequest(
  path: string,
  visit: (record: RequestRecord, lineNumber: number) => void,
  options: MooncakeOptions = {},
): void {
  const parser = new MooncakeLineParser(path, checkBlockTokens(options.blockTokens));
  const reader = new LineReader(path);
  const record = createRequestRecord(64);
  try {
    for (let line = reader.next(); line !== undefined; line = reader.next()) {
      if (line.trim().length > 0) {
        parser.parse(line, reader.lineNumber, record);
        visit(record, reader.lineNumber);
      }
    }
  } finally {
    reader.close();
  }
}

function checkBlockTokens(blockTokens: number = MOONCAKE_BLOCK_TOKENS): number {
  if (!Number.isSafeInteger(blockTokens) || blockTokens < 1) {
    throw new RangeError(`blockTokens must be a positive integer, received ${blockTokens}`);
  }
  return blockTokens;
}

/** Parses lines of one trace, checking that timestamps never decrease from line to line. */
class MooncakeLineParser {
  private previousTimestampMs = 0;
  private previousLineNumber = 0;

  constructor(
    private readonly path: string,
    private readonly blockTokens: number,
  ) {}

  /** Parses one non-blank line into `out`; throws `TraceError` on any invalid field. */
  parse(line: string, lineNumber: number, out: RequestRecord): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw new TraceError(this.path, lineNumber, undefined, `invalid JSON: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new TraceError(
        this.path,
        lineNumber,
        undefined,
        `expected a JSON object with timestamp, input_length, output_length and hash_ids, received ${show(parsed)}`,
      );
    }
    const fields = parsed as Record<string, unknown>;

    const timestampMs = this.readCount(fields, 'timestamp', lineNumber);
    if (timestampMs < this.previousTimestampMs) {
      throw new TraceError(
        this.path,
        lineNumber,
        'timestamp',
        `field "timestamp" is ${timestampMs}, lower than ${this.previousTimestampMs} on line ${this.previousLineNumber}; expected timestamps in non-decreasing order`,
      );
    }
    if (timestampMs > MAX_TIMESTAMP_MS) {
      throw new TraceError(
        this.path,
        lineNumber,
        'timestamp',
        `field "timestamp" is ${timestampMs}, expected at most ${MAX_TIMESTAMP_MS} ms (2^53 ns, the clock's exact range)`,
      );
    }
    const inputTokens = this.readCount(fields, 'input_length', lineNumber);
    const outputTokens = this.readCount(fields, 'output_length', lineNumber);
    const blockCount = this.readHashIds(fields, inputTokens, lineNumber, out);

    this.previousTimestampMs = timestampMs;
    this.previousLineNumber = lineNumber;
    out.arrivalAt = timestampMs * NS_PER_MS;
    out.sessionId = -1;
    out.turn = 0;
    out.inputTokens = inputTokens;
    out.outputTokens = outputTokens;
    out.promptBlockCount = blockCount;
    out.contextBlockCount = 0;
    out.tenant = 0;
  }

  // Reads a field that must be a non-negative integer.
  private readCount(fields: Record<string, unknown>, field: string, lineNumber: number): number {
    const value = fields[field];
    if (value === undefined) {
      throw new TraceError(this.path, lineNumber, field, `missing field "${field}", expected a non-negative integer`);
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new TraceError(this.path, lineNumber, field, `field "${field}" is ${show(value)}, expected a non-negative integer`);
    }
    return value;
  }

  // Copies `hash_ids` into the record's prompt block ids and returns their count.
  private readHashIds(fields: Record<string, unknown>, inputTokens: number, lineNumber: number, out: RequestRecord): number {
    const hashIds = fields.hash_ids;
    if (hashIds === undefined) {
      throw new TraceError(this.path, lineNumber, 'hash_ids', 'missing field "hash_ids", expected an array of non-negative integers');
    }
    if (!Array.isArray(hashIds)) {
      throw new TraceError(
        this.path,
        lineNumber,
        'hash_ids',
        `field "hash_ids" is ${show(hashIds)}, expected an array of non-negative integers`,
      );
    }

    // NOTE: len(hash_ids) == ceil(input_length / 512) on every line of the shipped conversation
    // trace. Every trace is checked against it, so one cut into other block sizes needs blockTokens.
    const expectedCount = Math.ceil(inputTokens / this.blockTokens);
    if (hashIds.length !== expectedCount) {
      throw new TraceError(
        this.path,
        lineNumber,
        'hash_ids',
        `field "hash_ids" has ${hashIds.length} entries, expected ceil(input_length ${inputTokens} / ${this.blockTokens} tokens per block) = ${expectedCount}; set blockTokens to the trace's block size`,
      );
    }

    reserveBlocks(out, hashIds.length);
    const ids = out.promptBlockIds;
    for (let index = 0; index < hashIds.length; index++) {
      const id: unknown = hashIds[index];
      if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
        throw new TraceError(
          this.path,
          lineNumber,
          'hash_ids',
          `field "hash_ids" entry ${index} is ${show(id)}, expected a non-negative integer`,
        );
      }
      ids[index] = id;
    }
    return hashIds.length;
  }
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}...` : text;
}
