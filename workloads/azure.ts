// Reader for the Azure LLM inference traces (Azure/AzurePublicDataset, AzureLLMInferenceTrace_conv
// and _code, November 2023). The file is CSV with a header:
//   TIMESTAMP,ContextTokens,GeneratedTokens
//   2023-11-16 18:15:46.6805900,374,44
// TIMESTAMP is a wall-clock instant with up to 7 fractional digits, read as UTC, and requests
// arrive at their offset from the first row's instant. The trace records no sessions and no
// prefix information, so every request is its own context: its blocks get ids no other request
// shares, unless `sharedPrefixTokens` declares a prompt prefix common to all requests.

import { ChainBlockIds } from './block-ids.js';
import { findColumns, parseCount, splitCsvLine } from './csv.js';
import { LineReader, TraceError } from './line-reader.js';
import type { RequestRecord } from './request.js';
import { LineTraceReader } from './line-trace-reader.js';
import type { TraceReader, TraceReaderOptions } from './trace-replay.js';

export interface AzureOptions extends TraceReaderOptions {
  /** Tokens per KV block of the ids kvtier assigns (default 256). */
  blockTokens?: number;
  /** Leading prompt tokens treated as shared by every request (default 0: nothing shared). */
  sharedPrefixTokens?: number;
  /** Seed of the block-id hashes (default 1). */
  seed?: number | string;
}

export const AZURE_DEFAULT_BLOCK_TOKENS = 256;

const COLUMNS = ['TIMESTAMP', 'ContextTokens', 'GeneratedTokens'] as const;
// 2023-11-16 18:15:46.6805900: date, time, optional fraction of up to 9 digits.
const TIMESTAMP_PATTERN = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const NS_PER_MS = 1_000_000;

/** Streams an Azure trace one request at a time. */
export class AzureTraceReader extends LineTraceReader implements TraceReader {
  readonly blockTokens: number;
  readonly hasSessions = false;
  readonly elapsedNs = NaN;

  protected readonly reader: LineReader;
  protected readonly skipBadLines: boolean;
  private readonly blockIds: ChainBlockIds;
  private readonly fields: string[] = [];
  private readonly columns: Record<(typeof COLUMNS)[number], number>;
  // Instant of the first row, in whole ms since 1970 and the ns beyond them.
  private firstMs = NaN;
  private firstFractionNs = 0;
  private previousArrivalAt = 0;
  private previousLineNumber = 0;
  private requestIndex = 0;

  constructor(
    readonly path: string,
    options: AzureOptions = {},
  ) {
    super();
    this.blockTokens = checkPositiveInteger('blockTokens', options.blockTokens ?? AZURE_DEFAULT_BLOCK_TOKENS);
    const sharedPrefixTokens = options.sharedPrefixTokens ?? 0;
    if (!Number.isSafeInteger(sharedPrefixTokens) || sharedPrefixTokens < 0) {
      throw new RangeError(`sharedPrefixTokens must be a non-negative integer, received ${sharedPrefixTokens}`);
    }
    this.skipBadLines = options.skipBadLines ?? false;
    this.blockIds = new ChainBlockIds(options.seed ?? 1, this.blockTokens, sharedPrefixTokens);
    this.reader = new LineReader(path);
    const header = this.reader.next();
    if (header === undefined) {
      this.reader.close();
      throw new TraceError(path, 0, undefined, 'the file is empty, expected a header "TIMESTAMP,ContextTokens,GeneratedTokens"');
    }
    splitCsvLine(header, this.fields);
    this.columns = findColumns(path, this.fields, COLUMNS);
  }

  protected parse(line: string, lineNumber: number, out: RequestRecord): void {
    const fields = this.fields;
    splitCsvLine(line, fields);
    const columns = this.columns;
    const instant = parseTimestamp(this.path, lineNumber, fields[columns.TIMESTAMP] ?? '');
    const inputTokens = parseCount(this.path, lineNumber, 'ContextTokens', fields[columns.ContextTokens] ?? '');
    const outputTokens = parseCount(this.path, lineNumber, 'GeneratedTokens', fields[columns.GeneratedTokens] ?? '');
    if (Number.isNaN(this.firstMs)) {
      this.firstMs = instant.ms;
      this.firstFractionNs = instant.fractionNs;
    }
    // Differences keep the instant exact: ns since 1970 would pass 2^53.
    const arrivalAt = (instant.ms - this.firstMs) * NS_PER_MS + (instant.fractionNs - this.firstFractionNs);
    if (arrivalAt < this.previousArrivalAt) {
      throw new TraceError(
        this.path,
        lineNumber,
        'TIMESTAMP',
        `column "TIMESTAMP" is "${fields[columns.TIMESTAMP]}", earlier than the row on line ${this.previousLineNumber}; expected timestamps in non-decreasing order`,
      );
    }

    this.previousArrivalAt = arrivalAt;
    this.previousLineNumber = lineNumber;
    out.arrivalAt = arrivalAt;
    out.sessionId = -1;
    out.turn = 0;
    out.inputTokens = inputTokens;
    out.outputTokens = outputTokens;
    out.tenant = 0;
    this.blockIds.write(-1, this.requestIndex++, out);
  }
}

/** An instant as whole milliseconds since 1970 (UTC) and the nanoseconds beyond them. */
export interface WallClockInstant {
  ms: number;
  fractionNs: number;
}

const parsedInstant: WallClockInstant = { ms: 0, fractionNs: 0 };

/**
 * Parses `2023-11-16 18:15:46.6805900` as UTC. The returned object is reused by the next call.
 */
export function parseTimestamp(path: string, lineNumber: number, text: string): WallClockInstant {
  const match = TIMESTAMP_PATTERN.exec(text.trim());
  if (match === null) {
    throw new TraceError(path, lineNumber, 'TIMESTAMP', `column "TIMESTAMP" is "${text}", expected a date and time such as "2023-11-16 18:15:46.6805900"`);
  }
  const [, year, month, day, hour, minute, second, fraction = ''] = match;
  const ms = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  const check = new Date(ms);
  if (Number.isNaN(ms) || check.getUTCDate() !== Number(day) || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) {
    throw new TraceError(path, lineNumber, 'TIMESTAMP', `column "TIMESTAMP" is "${text}", which is not a valid date and time`);
  }
  const fractionNs = Number(fraction.padEnd(9, '0'));
  parsedInstant.ms = ms + Math.floor(fractionNs / NS_PER_MS);
  parsedInstant.fractionNs = fractionNs % NS_PER_MS;
  return parsedInstant;
}

function checkPositiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, received ${value}`);
  }
  return value;
}
