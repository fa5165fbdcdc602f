// Splitting CSV lines (RFC 4180 quoting within one line) and finding columns by header name, for
// the Azure and BurstGPT trace readers. Quoted fields that span several lines are not supported,
// because neither trace contains them.

import { TraceError } from './line-reader.js';

/**
 * Splits one CSV line into `fields`, which is cleared first and reused between lines. A field in
 * double quotes may contain commas and doubled quotes (`""` for `"`). Returns the field count.
 */
export function splitCsvLine(line: string, fields: string[]): number {
  fields.length = 0;
  let index = 0;
  for (;;) {
    if (line.charCodeAt(index) === 0x22) {
      let value = '';
      let from = index + 1;
      for (;;) {
        const quote = line.indexOf('"', from);
        if (quote === -1) {
          value += line.slice(from);
          index = line.length;
          break;
        }
        value += line.slice(from, quote);
        if (line.charCodeAt(quote + 1) === 0x22) {
          value += '"';
          from = quote + 2;
        } else {
          index = quote + 1;
          break;
        }
      }
      fields.push(value);
      const comma = line.indexOf(',', index);
      if (comma === -1) return fields.length;
      index = comma + 1;
    } else {
      const comma = line.indexOf(',', index);
      if (comma === -1) {
        fields.push(line.slice(index));
        return fields.length;
      }
      fields.push(line.slice(index, comma));
      index = comma + 1;
    }
  }
}

/**
 * Returns the column index of each name in `required` within the header `fields`, matching names
 * exactly after trimming spaces. Throws `TraceError` naming the missing columns and the header.
 */
export function findColumns<Name extends string>(
  path: string,
  header: readonly string[],
  required: readonly Name[],
): Record<Name, number> {
  const trimmed = header.map((name) => name.trim());
  const columns = {} as Record<Name, number>;
  const missing: string[] = [];
  for (const name of required) {
    const index = trimmed.indexOf(name);
    if (index === -1) missing.push(name);
    columns[name] = index;
  }
  if (missing.length > 0) {
    throw new TraceError(
      path,
      1,
      missing[0],
      `header is missing column${missing.length > 1 ? 's' : ''} ${missing.map((name) => `"${name}"`).join(', ')}; expected a header with ${required.map((name) => `"${name}"`).join(', ')}, received "${header.join(',')}"`,
    );
  }
  return columns;
}

/**
 * Parses a CSV field that must be a non-negative integer, allowing a zero fraction such as `12.0`.
 * Throws `TraceError` naming the file, line, column and value otherwise.
 */
export function parseCount(path: string, lineNumber: number, column: string, text: string): number {
  const value = Number(text);
  if (text.trim().length === 0 || !Number.isSafeInteger(value) || value < 0) {
    throw new TraceError(path, lineNumber, column, `column "${column}" is "${text}", expected a non-negative integer`);
  }
  return value;
}

/** Parses a CSV field that must be a finite non-negative number. */
export function parseNonNegative(path: string, lineNumber: number, column: string, text: string): number {
  const value = Number(text);
  if (text.trim().length === 0 || !Number.isFinite(value) || value < 0) {
    throw new TraceError(path, lineNumber, column, `column "${column}" is "${text}", expected a non-negative number`);
  }
  return value;
}
