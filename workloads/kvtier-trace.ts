// Reader for kvtier's own JSONL traces. The first line is a header, each later line one request:
//   {"format":"kvtier-trace","version":1,"block_tokens":256,"sessions":true}
//   {"arrival_ns":0,"session":0,"turn":0,"input_tokens":1200,"output_tokens":300,"hash_ids":[...]}
// Fields of a request line:
//   arrival_ns       required; arrival in ns since the trace start, non-decreasing
//   input_tokens     required; prompt tokens, history included
//   output_tokens    required; tokens generated
//   session, turn    optional, together; the session id and the turn within it, from 0
//   elapsed_ns       optional; ns from submission to the full response, for think times
//   tenant           optional; tenant index (default 0)
//   hash_ids         optional; prompt block ids, ceil(input_tokens / block_tokens) of them. When
//                    absent, kvtier assigns hash-chain ids per session as for BurstGPT
//   context_hash_ids optional; ids of the blocks covering prompt plus output
// Ids are non-negative integers below 2^53, and each stands for its block and every block before it.

import { ChainBlockIds } from './block-ids.js';
import { LineReader, TraceError } from './line-reader.js';
import { reserveBlocks, type RequestRecord } from './request.js';
import { LineTraceReader } from './line-trace-reader.js';
import type { TraceReader, TraceReaderOptions } from './trace-replay.js';

export const KVTIER_TRACE_FORMAT = 'kvtier-trace';
export const KVTIER_TRACE_VERSION = 1;

const MAX_SHOWN_CHARS = 60;

export interface KvtierTraceOptions extends TraceReaderOptions {
  /** Seed of the block-id hashes for lines without `hash_ids` (default 1). */
  seed?: number | string;
}

/** Streams a kvtier JSONL trace one request at a time. */
export class KvtierTraceReader extends LineTraceReader implements TraceReader {
  readonly blockTokens: number;
  readonly hasSessions: boolean;
  elapsedNs = NaN;

  protected readonly reader: LineReader;
  protected readonly skipBadLines: boolean;
  private readonly blockIds: ChainBlockIds;
  private previousArrivalAt = 0;
  private previousLineNumber = 0;
  private requestIndex = 0;

  constructor(
    readonly path: string,
    options: KvtierTraceOptions = {},
  ) {
    super();
    this.skipBadLines = options.skipBadLines ?? false;
    this.reader = new LineReader(path);
    const header = this.readHeader();
    this.blockTokens = header.blockTokens;
    this.hasSessions = header.sessions;
    this.blockIds = new ChainBlockIds(options.seed ?? 1, this.blockTokens);
  }

  private readHeader(): { blockTokens: number; sessions: boolean } {
    const expected = `expected a header line such as {"format":"${KVTIER_TRACE_FORMAT}","version":${KVTIER_TRACE_VERSION},"block_tokens":256,"sessions":true}`;
    const line = this.reader.next();
    if (line === undefined) {
      this.reader.close();
      throw new TraceError(this.path, 0, undefined, `the file is empty, ${expected}`);
    }
    let header: unknown;
    try {
      header = JSON.parse(line);
    } catch {
      header = undefined;
    }
    const fields = (typeof header === 'object' && header !== null ? header : {}) as Record<string, unknown>;
    if (fields.format !== KVTIER_TRACE_FORMAT) {
      this.reader.close();
      throw new TraceError(this.path, 1, 'format', `the first line is ${show(line)}, ${expected}`);
    }
    if (fields.version !== KVTIER_TRACE_VERSION) {
      this.reader.close();
      throw new TraceError(this.path, 1, 'version', `field "version" is ${show(fields.version)}, expected ${KVTIER_TRACE_VERSION}`);
    }
    const blockTokens = fields.block_tokens;
    if (typeof blockTokens !== 'number' || !Number.isSafeInteger(blockTokens) || blockTokens < 1) {
      this.reader.close();
      throw new TraceError(this.path, 1, 'block_tokens', `field "block_tokens" is ${show(blockTokens)}, expected a positive integer`);
    }
    if (fields.sessions !== undefined && typeof fields.sessions !== 'boolean') {
      this.reader.close();
      throw new TraceError(this.path, 1, 'sessions', `field "sessions" is ${show(fields.sessions)}, expected true or false`);
    }
    return { blockTokens, sessions: fields.sessions === true };
  }

  protected parse(line: string, lineNumber: number, out: RequestRecord): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw new TraceError(this.path, lineNumber, undefined, `invalid JSON: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new TraceError(this.path, lineNumber, undefined, `expected a JSON object with arrival_ns, input_tokens and output_tokens, received ${show(parsed)}`);
    }
    const fields = parsed as Record<string, unknown>;
    const arrivalAt = this.readInteger(fields, 'arrival_ns', lineNumber, true);
    if (arrivalAt < this.previousArrivalAt) {
      throw new TraceError(
        this.path,
        lineNumber,
        'arrival_ns',
        `field "arrival_ns" is ${arrivalAt}, lower than ${this.previousArrivalAt} on line ${this.previousLineNumber}; expected arrivals in non-decreasing order`,
      );
    }
    const inputTokens = this.readInteger(fields, 'input_tokens', lineNumber, true);
    const outputTokens = this.readInteger(fields, 'output_tokens', lineNumber, true);
    const session = this.readInteger(fields, 'session', lineNumber, false);
    const turn = this.readInteger(fields, 'turn', lineNumber, false);
    if ((session < 0) !== (turn < 0)) {
      const missing = session < 0 ? 'session' : 'turn';
      throw new TraceError(this.path, lineNumber, missing, `missing field "${missing}": "session" and "turn" go together`);
    }
    if (session >= 0 && !this.hasSessions) {
      throw new TraceError(this.path, lineNumber, 'session', 'field "session" is set but the header does not declare "sessions": true');
    }
    const elapsedNs = this.readInteger(fields, 'elapsed_ns', lineNumber, false);
    const tenant = this.readInteger(fields, 'tenant', lineNumber, false);

    out.arrivalAt = arrivalAt;
    out.sessionId = session;
    out.turn = Math.max(turn, 0);
    out.inputTokens = inputTokens;
    out.outputTokens = outputTokens;
    out.tenant = Math.max(tenant, 0);
    if (fields.hash_ids === undefined) {
      this.blockIds.write(session, this.requestIndex, out);
    } else {
      out.promptBlockCount = this.readIds(fields, 'hash_ids', Math.ceil(inputTokens / this.blockTokens), lineNumber, out, false);
      out.contextBlockCount =
        fields.context_hash_ids === undefined
          ? 0
          : this.readIds(fields, 'context_hash_ids', Math.ceil((inputTokens + outputTokens) / this.blockTokens), lineNumber, out, true);
    }
    this.requestIndex++;
    this.elapsedNs = elapsedNs < 0 ? NaN : elapsedNs;
    this.previousArrivalAt = arrivalAt;
    this.previousLineNumber = lineNumber;
  }

  // Reads a non-negative integer field; returns -1 when an optional field is absent.
  private readInteger(fields: Record<string, unknown>, field: string, lineNumber: number, required: boolean): number {
    const value = fields[field];
    if (value === undefined) {
      if (!required) return -1;
      throw new TraceError(this.path, lineNumber, field, `missing field "${field}", expected a non-negative integer`);
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new TraceError(this.path, lineNumber, field, `field "${field}" is ${show(value)}, expected a non-negative integer`);
    }
    return value;
  }

  // Copies an id array into the record's prompt or context ids and returns its length.
  private readIds(
    fields: Record<string, unknown>,
    field: string,
    expectedCount: number,
    lineNumber: number,
    out: RequestRecord,
    context: boolean,
  ): number {
    const ids = fields[field];
    if (!Array.isArray(ids)) {
      throw new TraceError(this.path, lineNumber, field, `field "${field}" is ${show(ids)}, expected an array of non-negative integers`);
    }
    if (ids.length !== expectedCount) {
      throw new TraceError(
        this.path,
        lineNumber,
        field,
        `field "${field}" has ${ids.length} entries, expected ${expectedCount} (one per ${this.blockTokens}-token block)`,
      );
    }
    reserveBlocks(out, ids.length);
    const target = context ? out.contextBlockIds : out.promptBlockIds;
    for (let index = 0; index < ids.length; index++) {
      const id: unknown = ids[index];
      if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
        throw new TraceError(this.path, lineNumber, field, `field "${field}" entry ${index} is ${show(id)}, expected a non-negative integer`);
      }
      target[index] = id;
    }
    return ids.length;
  }
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}...` : text;
}
