// How object-trace mode reads CSV object ids and sizes. Ids are integers, so spellings of one number
// name one object, and ids too long for a double stay exact. White space around a field is allowed.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readObjectTrace } from '../../sim/cachesim.js';

const folder = mkdtempSync(join(tmpdir(), 'kvtier-cachesim-ids-'));

function readCsv(name: string, text: string, ignoreSize = false) {
  const path = join(folder, name);
  writeFileSync(path, text);
  return readObjectTrace(path, { format: 'csv', ignoreSize });
}

describe('CSV object ids', () => {
  it('leading zeros name one object', () => {
    const trace = readCsv('zeros.csv', '0,7,10\n1,007,10\n');
    expect(trace.objectCount).toBe(1);
    expect([...trace.handles]).toEqual([0, 0]);
  });

  it('ids beyond 2^53 stay exact', () => {
    const trace = readCsv('long.csv', '0,18446744073709551614,1\n1,18446744073709551615,1\n2,18446744073709551614,1\n');
    expect(trace.objectCount).toBe(2);
    expect([...trace.handles]).toEqual([0, 1, 0]);
  });

  it('allows white space around fields', () => {
    const trace = readCsv('spaces.csv', 'time, obj_id ,obj_size\n0,\t5 , 20 \r\n1,5,20\n');
    expect(trace.requestCount).toBe(2);
    expect(trace.objectCount).toBe(1);
    expect(trace.sizes[0]).toBe(20);
  });

  it('skips blank lines', () => {
    const trace = readCsv('blank.csv', '0,1,1\n\n   \n1,2,1\n');
    expect(trace.requestCount).toBe(2);
  });

  it('rejects a negative id', () => {
    expect(() => readCsv('negative.csv', '0,-5,1\n')).toThrow('negative.csv, line 1: obj_id is "-5", expected a non-negative integer');
  });

  it('rejects an id in exponent form', () => {
    expect(() => readCsv('exponent.csv', '0,1e3,1\n')).toThrow('exponent.csv, line 1: obj_id is "1e3", expected a non-negative integer');
  });

  it('rejects a missing size', () => {
    expect(() => readCsv('short.csv', '0,1\n')).toThrow('short.csv, line 1: obj_size is "", expected a non-negative integer');
  });

  it('rejects a size beyond 2^53', () => {
    expect(() => readCsv('huge.csv', '0,1,99999999999999999\n')).toThrow('huge.csv, line 1: obj_size is "99999999999999999", expected a non-negative integer');
  });

  it('accepts a missing size with --ignore-size', () => {
    expect(readCsv('ignored.csv', '0,1\n1,2\n', true).objectCount).toBe(2);
  });
});
