// Synchronous line-by-line reading of text traces. The simulator pulls one request at a time, so
// readers block on a fixed 64 KiB buffer rather than on Node streams, and memory stays flat
// however long the file is.

import { closeSync, openSync, readSync } from 'node:fs';

const DEFAULT_BUFFER_BYTES = 64 * 1024;
const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const BYTE_ORDER_MARK = '\uFEFF';

/**
 * Invalid trace input: a file that cannot be read or a line that does not parse. The message
 * names the file, the line (when there is one), the field, the value and the form expected.
 * The CLI exits with status 2 on errors whose `code` is `ERR_KVTIER_INPUT`.
 */
export class TraceError extends Error {
  readonly code = 'ERR_KVTIER_INPUT';

  /**
   * `lineNumber` counts from 1, and is 0 when the error concerns the whole file. `field` names the
   * invalid field, if any. `detail` describes what is wrong.
   */
  constructor(
    readonly path: string,
    readonly lineNumber: number,
    readonly field: string | undefined,
    detail: string,
  ) {
    super(lineNumber > 0 ? `${path}, line ${lineNumber}: ${detail}` : `${path}: ${detail}`);
    this.name = 'TraceError';
  }
}

/**
 * Reads a UTF-8 text file line by line. Lines end at LF or CRLF. A last line without a line break
 * is still returned, and a line longer than the buffer is assembled from several reads. A byte
 * order mark at the start of the file is dropped.
 */
export class LineReader {
  /** Number of the line `next` returned last, counting from 1; 0 before the first call. */
  lineNumber = 0;

  private fd: number;
  private readonly buffer: Buffer;
  // Unread bytes are buffer[start, end).
  private start = 0;
  private end = 0;
  private endOfFile = false;
  // Earlier parts of a line longer than the buffer; empty for ordinary lines.
  private readonly longLineParts: Buffer[] = [];

  /** Opens `path`, throwing `TraceError` when it cannot be opened. */
  constructor(
    readonly path: string,
    bufferBytes = DEFAULT_BUFFER_BYTES,
  ) {
    if (!Number.isInteger(bufferBytes) || bufferBytes < 1) {
      throw new RangeError(`bufferBytes must be a positive integer, received ${bufferBytes}`);
    }
    try {
      this.fd = openSync(path, 'r');
    } catch (error) {
      throw new TraceError(path, 0, undefined, `failed to open the trace: ${(error as Error).message}`);
    }
    this.buffer = Buffer.allocUnsafe(bufferBytes);
  }

  /** Returns the next line without its line break, or undefined at the end of the file. */
  next(): string | undefined {
    for (;;) {
      const lineFeed = this.buffer.indexOf(LINE_FEED, this.start);
      if (lineFeed !== -1 && lineFeed < this.end) {
        const line = this.decode(this.start, lineFeed);
        this.start = lineFeed + 1;
        return line;
      }
      if (this.endOfFile) {
        if (this.start === this.end && this.longLineParts.length === 0) {
          return undefined;
        }
        const line = this.decode(this.start, this.end);
        this.start = this.end;
        return line;
      }
      this.fill();
    }
  }

  /** Closes the file; later calls to `next` return undefined. Safe to call more than once. */
  close(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
    this.endOfFile = true;
    this.start = this.end;
    this.longLineParts.length = 0;
  }

  // Reads more bytes after the unread ones, first moving those to the front of the buffer. A
  // buffer that is full without a line feed contains part of a long line, which is set aside.
  private fill(): void {
    if (this.fd < 0) {
      this.endOfFile = true;
      return;
    }
    if (this.start > 0) {
      this.buffer.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    if (this.end === this.buffer.length) {
      this.longLineParts.push(Buffer.from(this.buffer));
      this.end = 0;
    }

    let bytesRead: number;
    try {
      bytesRead = readSync(this.fd, this.buffer, this.end, this.buffer.length - this.end, null);
    } catch (error) {
      throw new TraceError(this.path, this.lineNumber + 1, undefined, `failed to read the trace: ${(error as Error).message}`);
    }
    if (bytesRead === 0) {
      this.endOfFile = true;
    } else {
      this.end += bytesRead;
    }
  }

  // Decodes buffer[from, to), with any long-line parts before it, as the next line.
  private decode(from: number, to: number): string {
    let bytes = this.buffer.subarray(from, to);
    if (this.longLineParts.length > 0) {
      this.longLineParts.push(bytes);
      bytes = Buffer.concat(this.longLineParts);
      this.longLineParts.length = 0;
    }
    const length = bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN ? bytes.length - 1 : bytes.length;
    let line = bytes.toString('utf8', 0, length);
    this.lineNumber++;
    if (this.lineNumber === 1 && line.startsWith(BYTE_ORDER_MARK)) {
      line = line.slice(1);
    }
    return line;
  }
}
