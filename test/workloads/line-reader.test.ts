import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { LineReader, TraceError } from '../../workloads/line-reader.js';

const directory = mkdtempSync(join(tmpdir(), 'kvtier-line-reader-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

let fileCount = 0;
function writeTemp(content: string | Buffer): string {
  const path = join(directory, `file-${fileCount++}.txt`);
  writeFileSync(path, content);
  return path;
}

/** Reads every line, recording the line number reported with each. */
function readAll(path: string, bufferBytes?: number): { lines: string[]; numbers: number[] } {
  const reader = new LineReader(path, bufferBytes);
  const lines: string[] = [];
  const numbers: number[] = [];
  for (let line = reader.next(); line !== undefined; line = reader.next()) {
    lines.push(line);
    numbers.push(reader.lineNumber);
  }
  reader.close();
  return { lines, numbers };
}

describe('LineReader', () => {
  it('reads LF lines with 1-based numbers', () => {
    const { lines, numbers } = readAll(writeTemp('alpha\nbeta\n\ngamma\n'));
    expect(lines).toEqual(['alpha', 'beta', '', 'gamma']);
    expect(numbers).toEqual([1, 2, 3, 4]);
  });

  it('strips CRLF line breaks', () => {
    expect(readAll(writeTemp('one\r\ntwo\r\n')).lines).toEqual(['one', 'two']);
  });

  it('returns a last line without a line break', () => {
    expect(readAll(writeTemp('one\ntwo')).lines).toEqual(['one', 'two']);
    expect(readAll(writeTemp('one\r\ntwo\r')).lines).toEqual(['one', 'two']);
  });

  it('reads an empty file as no lines', () => {
    expect(readAll(writeTemp('')).lines).toEqual([]);
  });

  it('keeps a final blank line only when it has content', () => {
    expect(readAll(writeTemp('a\n\n')).lines).toEqual(['a', '']);
  });

  it('assembles lines longer than the 64 KiB buffer', () => {
    const long = 'x'.repeat(200_000);
    const { lines, numbers } = readAll(writeTemp(`short\n${long}\r\nafter\n${long}`));
    expect(lines).toEqual(['short', long, 'after', long]);
    expect(numbers).toEqual([1, 2, 3, 4]);
  });

  it('splits a CRLF across buffer refills', () => {
    // With an 8-byte buffer the CR of the first line is the buffer's last byte.
    const { lines } = readAll(writeTemp('1234567\r\nabcdefghijklmnop\r\nz'), 8);
    expect(lines).toEqual(['1234567', 'abcdefghijklmnop', 'z']);
  });

  it('reads every buffer size the same', () => {
    const content = 'a\r\nbb\n\nccc\r\ndddd\neeeee\r\n' + 'f'.repeat(37) + '\ng';
    const expected = readAll(writeTemp(content)).lines;
    for (let bufferBytes = 1; bufferBytes <= 48; bufferBytes++) {
      expect(readAll(writeTemp(content), bufferBytes).lines).toEqual(expected);
    }
  });

  it('decodes UTF-8 split across refills', () => {
    const text = 'héllo wörld ✓ 𝄞';
    expect(readAll(writeTemp(`${text}\n${text}`), 3).lines).toEqual([text, text]);
  });

  it('drops a leading byte order mark', () => {
    expect(readAll(writeTemp('\uFEFF{"a":1}\nb\n')).lines).toEqual(['{"a":1}', 'b']);
  });

  it('returns nothing after close', () => {
    const reader = new LineReader(writeTemp('a\nb\n'));
    expect(reader.next()).toBe('a');
    reader.close();
    expect(reader.next()).toBeUndefined();
    reader.close();
  });

  it('rejects a missing file with TraceError', () => {
    const path = join(directory, 'missing.jsonl');
    expect(() => new LineReader(path)).toThrow(TraceError);
    expect(() => new LineReader(path)).toThrow(`${path}: failed to open the trace: ENOENT`);
  });

  it('rejects a directory with TraceError', () => {
    const reader = new LineReader(directory);
    expect(() => reader.next()).toThrow(/line 1: failed to read the trace: EISDIR/);
    reader.close();
  });
});
