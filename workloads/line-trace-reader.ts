// The line loop shared by the trace readers that parse one request per line (Azure, BurstGPT,
// kvtier JSONL): blank lines are skipped, and with `skipBadLines` a line that fails to parse is
// counted and skipped instead of ending the read.

import { TraceError, type LineReader } from './line-reader.js';
import type { RequestRecord } from './request.js';

export abstract class LineTraceReader {
  /** Invalid lines skipped so far; always 0 unless the reader skips bad lines. */
  skippedLines = 0;
  protected abstract readonly reader: LineReader;
  protected abstract readonly skipBadLines: boolean;

  /** Line number of the row `next` returned last, counting from 1. */
  get lineNumber(): number {
    return this.reader.lineNumber;
  }

  /** Writes the next row into `out`; returns false at the end of the file. */
  next(out: RequestRecord): boolean {
    for (let line = this.reader.next(); line !== undefined; line = this.reader.next()) {
      if (line.trim().length === 0) continue;
      try {
        this.parse(line, this.reader.lineNumber, out);
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

  /** Parses one non-blank line into `out`; throws TraceError naming the line on invalid input. */
  protected abstract parse(line: string, lineNumber: number, out: RequestRecord): void;
}
