// Writers of request traces: Mooncake-compatible JSONL (so other simulators can replay kvtier's
// traffic) and kvtier's own JSONL (which keeps sessions, turns and tenants). Both write to a
// temporary file beside the target and rename it on `close`, so a crash leaves no half file.

import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import { KVTIER_TRACE_FORMAT, KVTIER_TRACE_VERSION } from './kvtier-trace.js';
import { TraceError } from './line-reader.js';
import type { RequestRecord } from './request.js';

const FLUSH_CHARS = 1 << 16;
const NS_PER_MS = 1_000_000;

/**
 * A text file written in chunks to a temporary name and renamed into place by `close`. Throws
 * `TraceError` when the temporary file cannot be created.
 */
export class AtomicTextFile {
  private fd: number;
  private readonly temporaryPath: string;
  private pending = '';

  constructor(readonly path: string) {
    this.temporaryPath = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    try {
      this.fd = openSync(this.temporaryPath, 'w');
    } catch (error) {
      throw new TraceError(path, 0, undefined, `failed to create the output file: ${(error as Error).message}`);
    }
  }

  write(text: string): void {
    this.pending += text;
    if (this.pending.length >= FLUSH_CHARS) this.flush();
  }

  /** Flushes, closes and renames the file into place. */
  close(): void {
    if (this.fd < 0) return;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
    renameSync(this.temporaryPath, this.path);
  }

  /** Closes and deletes the temporary file, leaving no output. */
  abort(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
    rmSync(this.temporaryPath, { force: true });
  }

  private flush(): void {
    if (this.pending.length > 0) writeSync(this.fd, this.pending);
    this.pending = '';
  }
}

/** A writer of request records in one trace format. */
export interface TraceWriter {
  /** Appends one request; `elapsedNs` is its elapsed time when known (NaN otherwise). */
  write(record: RequestRecord, elapsedNs?: number): void;
  close(): void;
  abort(): void;
}

/**
 * Writes Mooncake JSONL: `timestamp` in whole ms (rounded down), `input_length`, `output_length`
 * and `hash_ids` (the prompt's block ids). Mooncake readers assume 512-token blocks, so the
 * records should come from a workload with `blockTokens` 512; other block sizes are written as
 * they are, and `len(hash_ids)` is then ceil(input_length / blockTokens).
 */
export class MooncakeTraceWriter implements TraceWriter {
  private readonly file: AtomicTextFile;

  constructor(path: string) {
    this.file = new AtomicTextFile(path);
  }

  write(record: RequestRecord): void {
    const timestampMs = Math.floor(record.arrivalAt / NS_PER_MS);
    this.file.write(
      `{"timestamp":${timestampMs},"input_length":${record.inputTokens},"output_length":${record.outputTokens},"hash_ids":[${joinIds(record.promptBlockIds, record.promptBlockCount)}]}\n`,
    );
  }

  close(): void {
    this.file.close();
  }

  abort(): void {
    this.file.abort();
  }
}

/** Writes kvtier JSONL, the format `KvtierTraceReader` reads (described in kvtier-trace.ts). */
export class KvtierTraceWriter implements TraceWriter {
  private readonly file: AtomicTextFile;

  constructor(path: string, blockTokens: number, options: { sessions: boolean }) {
    this.file = new AtomicTextFile(path);
    this.file.write(
      `${JSON.stringify({ format: KVTIER_TRACE_FORMAT, version: KVTIER_TRACE_VERSION, block_tokens: blockTokens, sessions: options.sessions })}\n`,
    );
  }

  write(record: RequestRecord, elapsedNs = NaN): void {
    let line = `{"arrival_ns":${record.arrivalAt}`;
    if (record.sessionId >= 0) line += `,"session":${record.sessionId},"turn":${record.turn}`;
    line += `,"input_tokens":${record.inputTokens},"output_tokens":${record.outputTokens}`;
    if (!Number.isNaN(elapsedNs)) line += `,"elapsed_ns":${elapsedNs}`;
    if (record.tenant !== 0) line += `,"tenant":${record.tenant}`;
    line += `,"hash_ids":[${joinIds(record.promptBlockIds, record.promptBlockCount)}]`;
    if (record.contextBlockCount > 0) line += `,"context_hash_ids":[${joinIds(record.contextBlockIds, record.contextBlockCount)}]`;
    this.file.write(`${line}}\n`);
  }

  close(): void {
    this.file.close();
  }

  abort(): void {
    this.file.abort();
  }
}

function joinIds(ids: Float64Array, count: number): string {
  let text = '';
  for (let index = 0; index < count; index++) {
    text += index === 0 ? String(ids[index]) : `,${ids[index]}`;
  }
  return text;
}
