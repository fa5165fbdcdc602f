// Object-trace mode: replays a plain trace of object requests (ids and sizes, no timing) against
// one PolicyCache per policy and cache size, with libCacheSim's cachesim semantics, so that miss
// counts can be compared with libCacheSim's exactly. Every request counts, the first request to an
// object included; requests of size 0 are skipped; an object keeps the size it was inserted with.
//
// The whole request sequence is held in memory (about 20 bytes per request plus one map entry per
// distinct object), because Belady needs each request's next use, found by a backward pass over the
// sequence. That is acceptable for object-trace mode; the full simulation streams its input instead.

import { PolicyCache } from './cache.js';
import { IdMap } from '../workloads/id-map.js';
import type { PolicySpec } from '../policies/registry.js';
import { LineReader, TraceError } from '../workloads/line-reader.js';
import { forEachMooncakeRequest, MOONCAKE_BLOCK_TOKENS } from '../workloads/mooncake.js';

export { TraceError } from '../workloads/line-reader.js';

export type ObjectTraceFormat = 'csv' | 'mooncake';

/** Invalid cache size or other object-trace argument. The CLI exits with status 2 on it. */
export class CachesimInputError extends Error {
  readonly code = 'ERR_KVTIER_INPUT';

  constructor(message: string) {
    super(message);
    this.name = 'CachesimInputError';
  }
}

/** A trace read into memory: one entry per request, objects mapped to dense handles 0..objectCount-1. */
export interface ObjectTrace {
  path: string;
  requestCount: number;
  /** Handle of each request's object. */
  handles: Int32Array;
  /** Size of each request: bytes, tokens for Mooncake, or 1 when sizes are ignored. */
  sizes: Float64Array;
  /** Index of the next request to the same object, or Infinity when there is none. */
  nextAccess: Float64Array;
  /** Number of distinct objects. */
  objectCount: number;
  /** Sum over distinct objects of the size of each one's first request. */
  workingSetSize: number;
  /** Sum of all request sizes. */
  totalRequestedSize: number;
}

export interface ReadTraceOptions {
  format: ObjectTraceFormat;
  /** Treat every request as size 1, so capacities count objects. */
  ignoreSize: boolean;
}

/**
 * Reads a CSV (`time,obj_id,obj_size`, header optional) or Mooncake JSONL trace into memory. A
 * Mooncake request becomes one request per entry of `hash_ids`, of 512 tokens each (1 when sizes
 * are ignored). Throws `TraceError` naming the file, line, field and value on invalid input.
 */
export function readObjectTrace(path: string, options: ReadTraceOptions): ObjectTrace {
  const builder = new TraceBuilder(path);
  if (options.format === 'csv') readCsv(path, options.ignoreSize, builder);
  else readMooncake(path, options.ignoreSize, builder);
  return builder.finish();
}

/**
 * Parses a cache size: `N%` of the working set (distinct objects, or with sizes the sum of first-seen
 * sizes), rounded down as libCacheSim does, or a plain positive integer in the trace's unit.
 */
export function parseCacheSize(text: string, trace: ObjectTrace, ignoreSize: boolean): number {
  const trimmed = text.trim();
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(trimmed);
  if (percent !== null) {
    const share = Number(percent[1]);
    const workingSet = ignoreSize ? trace.objectCount : trace.workingSetSize;
    const size = Math.floor((workingSet * share) / 100);
    if (size < 1 || share > 100) {
      throw new CachesimInputError(`cache size "${text}" is ${size} for a working set of ${workingSet}: expected a percentage in (0, 100] giving at least 1`);
    }
    return size;
  }
  if (/^\d+$/.test(trimmed) && Number(trimmed) >= 1 && Number.isSafeInteger(Number(trimmed))) return Number(trimmed);
  throw new CachesimInputError(`invalid cache size "${text}": expected a positive integer or a percentage such as 5%`);
}

/** Counts of one replay. Ratios are misses / requests and bytesMissed / bytesRequested. */
export interface CacheSimResult {
  policy: string;
  cacheSize: number;
  requests: number;
  misses: number;
  bytesRequested: number;
  bytesMissed: number;
  /** One entry per request, 1 for a hit, when `recordHits` was set. */
  hits?: Uint8Array;
}

/** Replays `trace` against a new cache with policy `spec` and `cacheSize`. */
export function simulateObjectTrace(
  trace: ObjectTrace,
  spec: PolicySpec,
  cacheSize: number,
  options: { recordHits?: boolean } = {},
): CacheSimResult {
  const cache = new PolicyCache(spec, cacheSize);
  cache.grow(trace.objectCount);
  const access = cache.access;
  const { handles, sizes, nextAccess } = trace;
  const hits = options.recordHits === true ? new Uint8Array(trace.requestCount) : undefined;
  let misses = 0;
  let bytesMissed = 0;

  for (let index = 0; index < trace.requestCount; index++) {
    const handle = handles[index];
    const size = sizes[index];
    access.accessIndex = index;
    access.nextAccessIndex = nextAccess[index];
    // Handles are never recycled in object-trace mode, so a handle is a stable key as well.
    const hit = cache.request(handle, handle, size);
    if (hit) {
      if (hits !== undefined) hits[index] = 1;
    } else {
      misses++;
      bytesMissed += size;
    }
  }

  return {
    policy: spec.label,
    cacheSize,
    requests: trace.requestCount,
    misses,
    bytesRequested: trace.totalRequestedSize,
    bytesMissed,
    hits,
  };
}

/**
 * Collects requests, maps ids to handles and computes next uses. Ids below 2^53 are numbers, kept in
 * a typed-array hash map; longer CSV ids stay strings, in a Map, so that they remain exact.
 */
class TraceBuilder {
  private handles = new Int32Array(1024);
  private sizes = new Float64Array(1024);
  private count = 0;
  private readonly numericHandles = new IdMap(1 << 16);
  private readonly stringHandles = new Map<string, number>();
  private objectCount = 0;
  private workingSetSize = 0;
  private totalRequestedSize = 0;

  constructor(private readonly path: string) {}

  add(id: string | number, size: number): void {
    if (size === 0) return;
    let handle: number;
    if (typeof id === 'number') {
      handle = this.numericHandles.get(id);
      if (handle === -1) {
        handle = this.objectCount++;
        this.numericHandles.set(id, handle);
        this.workingSetSize += size;
      }
    } else {
      const known = this.stringHandles.get(id);
      if (known === undefined) {
        handle = this.objectCount++;
        this.stringHandles.set(id, handle);
        this.workingSetSize += size;
      } else {
        handle = known;
      }
    }
    if (this.count === this.handles.length) {
      const handles = new Int32Array(this.count * 2);
      const sizes = new Float64Array(this.count * 2);
      handles.set(this.handles);
      sizes.set(this.sizes);
      this.handles = handles;
      this.sizes = sizes;
    }
    this.handles[this.count] = handle;
    this.sizes[this.count] = size;
    this.count++;
    this.totalRequestedSize += size;
  }

  finish(): ObjectTrace {
    const handles = this.handles.slice(0, this.count);
    const sizes = this.sizes.slice(0, this.count);
    const objectCount = this.objectCount;
    const nextAccess = new Float64Array(this.count);
    const lastSeen = new Float64Array(objectCount).fill(Number.POSITIVE_INFINITY);
    for (let index = this.count - 1; index >= 0; index--) {
      const handle = handles[index];
      nextAccess[index] = lastSeen[handle];
      lastSeen[handle] = index;
    }
    return {
      path: this.path,
      requestCount: this.count,
      handles,
      sizes,
      nextAccess,
      objectCount,
      workingSetSize: this.workingSetSize,
      totalRequestedSize: this.totalRequestedSize,
    };
  }
}

const CSV_COLUMNS = ['time', 'obj_id', 'obj_size'];

function readCsv(path: string, ignoreSize: boolean, builder: TraceBuilder): void {
  let idColumn = 1;
  let sizeColumn = 2;
  let firstLine = true;
  const reader = new LineReader(path);
  try {
    for (let line = reader.next(); line !== undefined; line = reader.next()) {
      if (isBlank(line)) continue;
      if (firstLine) {
        firstLine = false;
        const names = line.split(',').map((field) => field.trim());
        if (names.some((name) => CSV_COLUMNS.includes(name))) {
          idColumn = names.indexOf('obj_id');
          sizeColumn = names.indexOf('obj_size');
          if (idColumn === -1) throw new TraceError(path, reader.lineNumber, 'obj_id', 'header has no obj_id column, expected time,obj_id,obj_size');
          if (sizeColumn === -1 && !ignoreSize) {
            throw new TraceError(path, reader.lineNumber, 'obj_size', 'header has no obj_size column, expected time,obj_id,obj_size (or pass --ignore-size)');
          }
          continue;
        }
      }

      const id = parseField(line, idColumn);
      if (id === INVALID_FIELD) {
        const text = fieldText(line, idColumn);
        // A long run of digits is a valid id beyond a double's exact range; it stays a string.
        if (!/^\d+$/.test(text)) throw new TraceError(path, reader.lineNumber, 'obj_id', `obj_id is "${text}", expected a non-negative integer`);
        builder.add(text, ignoreSize ? 1 : parseSize(path, reader.lineNumber, line, sizeColumn));
        continue;
      }
      builder.add(id, ignoreSize ? 1 : parseSize(path, reader.lineNumber, line, sizeColumn));
    }
  } finally {
    reader.close();
  }
}

const INVALID_FIELD = -1;
/** Digits that always fit a double exactly (10^15 - 1 < 2^53). */
const MAX_EXACT_DIGITS = 15;
const DIGIT_ZERO = 0x30;
const DIGIT_NINE = 0x39;
const SPACE = 0x20;
const TAB = 0x09;
const CARRIAGE_RETURN = 0x0d;
const FIRST_NON_ASCII = 0x80;

// Parses the `column`-th comma-separated field of `line` as a non-negative integer of at most 15
// digits, surrounding ASCII white space allowed, without allocating. Returns INVALID_FIELD
// otherwise, and the caller then checks the field as text.
function parseField(line: string, column: number): number {
  let start = 0;
  for (let skipped = 0; skipped < column; skipped++) {
    const comma = line.indexOf(',', start);
    if (comma === -1) return INVALID_FIELD;
    start = comma + 1;
  }
  let end = line.indexOf(',', start);
  if (end === -1) end = line.length;
  while (start < end && isAsciiSpace(line.charCodeAt(start))) start++;
  while (end > start && isAsciiSpace(line.charCodeAt(end - 1))) end--;
  if (end === start || end - start > MAX_EXACT_DIGITS) return INVALID_FIELD;
  let value = 0;
  for (let index = start; index < end; index++) {
    const code = line.charCodeAt(index);
    if (code < DIGIT_ZERO || code > DIGIT_NINE) return INVALID_FIELD;
    value = value * 10 + (code - DIGIT_ZERO);
  }
  return value;
}

/** Returns the `column`-th comma-separated field of `line`, trimmed, or '' when the line is shorter. */
function fieldText(line: string, column: number): string {
  return line.split(',')[column]?.trim() ?? '';
}

function parseSize(path: string, lineNumber: number, line: string, column: number): number {
  const size = parseField(line, column);
  if (size !== INVALID_FIELD) return size;
  const text = fieldText(line, column);
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) {
    throw new TraceError(path, lineNumber, 'obj_size', `obj_size is "${text}", expected a non-negative integer`);
  }
  return value;
}

/** Checks for white space that String.prototype.trim removes and that is ASCII: space, tab, LF, VT, FF, CR. */
function isAsciiSpace(code: number): boolean {
  return code === SPACE || (code >= TAB && code <= CARRIAGE_RETURN);
}

function isBlank(line: string): boolean {
  // Most lines start with a digit; only the others need the full check.
  const first = line.charCodeAt(0);
  if (first > SPACE && first < FIRST_NON_ASCII) return false;
  return line.trim() === '';
}

function readMooncake(path: string, ignoreSize: boolean, builder: TraceBuilder): void {
  const blockSize = ignoreSize ? 1 : MOONCAKE_BLOCK_TOKENS;
  forEachMooncakeRequest(path, (record) => {
    for (let block = 0; block < record.promptBlockCount; block++) builder.add(record.promptBlockIds[block], blockSize);
  });
}
