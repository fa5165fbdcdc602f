// Object-trace mode: trace reading (CSV and Mooncake), next-use indexes, percentage cache sizes,
// and the counts of one replay.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parsePolicySpec } from '../../policies/registry.js';
import { parseCacheSize, readObjectTrace, simulateObjectTrace } from '../../sim/cachesim.js';

const folder = mkdtempSync(join(tmpdir(), 'kvtier-cachesim-'));
const referenceTrace = fileURLToPath(new URL('../fixtures/libcachesim/zipf_a1.0_200k_seed42.csv', import.meta.url));

function writeTrace(name: string, text: string): string {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
}

describe('readObjectTrace csv', () => {
  it('reads a trace with a header', () => {
    const path = writeTrace('header.csv', 'time,obj_id,obj_size\n0,7,100\n1,8,50\n2,7,100\n');
    const trace = readObjectTrace(path, { format: 'csv', ignoreSize: false });
    expect(trace.requestCount).toBe(3);
    expect(trace.objectCount).toBe(2);
    expect([...trace.handles]).toEqual([0, 1, 0]);
    expect(trace.workingSetSize).toBe(150);
    expect(trace.totalRequestedSize).toBe(250);
  });

  it('reads a trace without a header', () => {
    const path = writeTrace('plain.csv', '0,7,100\n1,8,50\n');
    const trace = readObjectTrace(path, { format: 'csv', ignoreSize: false });
    expect(trace.requestCount).toBe(2);
  });

  it('computes next-use indexes', () => {
    const path = writeTrace('next.csv', '0,1,1\n1,2,1\n2,1,1\n3,3,1\n4,2,1\n');
    const trace = readObjectTrace(path, { format: 'csv', ignoreSize: true });
    expect([...trace.nextAccess]).toEqual([2, 4, Infinity, Infinity, Infinity]);
  });

  it('skips requests of size 0', () => {
    const path = writeTrace('zero.csv', '0,1,0\n1,2,5\n');
    const trace = readObjectTrace(path, { format: 'csv', ignoreSize: false });
    expect(trace.requestCount).toBe(1);
  });

  it('takes the first-seen size for the working set', () => {
    const path = writeTrace('resize.csv', '0,1,10\n1,1,30\n');
    const trace = readObjectTrace(path, { format: 'csv', ignoreSize: false });
    expect(trace.workingSetSize).toBe(10);
    expect(trace.totalRequestedSize).toBe(40);
  });

  it('error names file, line, field and value', () => {
    const path = writeTrace('bad-size.csv', 'time,obj_id,obj_size\n0,1,10\n1,2,1e3\n');
    expect(() => readObjectTrace(path, { format: 'csv', ignoreSize: false })).toThrow(`${path}, line 3: obj_size is "1e3", expected a non-negative integer`);
  });

  it('rejects an invalid object id', () => {
    const path = writeTrace('bad-id.csv', '0,x1,10\n');
    expect(() => readObjectTrace(path, { format: 'csv', ignoreSize: false })).toThrow(`${path}, line 1: obj_id is "x1", expected a non-negative integer`);
  });

  it('rejects a missing file as user input', () => {
    try {
      readObjectTrace(join(folder, 'missing.csv'), { format: 'csv', ignoreSize: false });
      expect.unreachable();
    } catch (error) {
      expect((error as { code?: string }).code).toBe('ERR_KVTIER_INPUT');
    }
  });
});

describe('readObjectTrace mooncake', () => {
  it('flattens hash_ids into block requests', () => {
    const path = writeTrace(
      'trace.jsonl',
      '{"timestamp": 0, "input_length": 1024, "output_length": 5, "hash_ids": [1, 2]}\n' +
        '{"timestamp": 10, "input_length": 1536, "output_length": 5, "hash_ids": [1, 2, 3]}\n',
    );
    const trace = readObjectTrace(path, { format: 'mooncake', ignoreSize: false });
    expect(trace.requestCount).toBe(5);
    expect(trace.objectCount).toBe(3);
    expect([...trace.sizes]).toEqual([512, 512, 512, 512, 512]);
    const unit = readObjectTrace(path, { format: 'mooncake', ignoreSize: true });
    expect([...unit.sizes]).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('parseCacheSize', () => {
  const unit = readObjectTrace(referenceTrace, { format: 'csv', ignoreSize: true });
  const sized = readObjectTrace(referenceTrace, { format: 'csv', ignoreSize: false });

  it('rounds percentages of distinct objects down', () => {
    expect(['1%', '5%', '20%'].map((size) => parseCacheSize(size, unit, true))).toEqual([168, 840, 3363]);
  });

  it('rounds percentages of the working-set bytes down', () => {
    expect(['1%', '5%', '20%'].map((size) => parseCacheSize(size, sized, false))).toEqual([3_003_241, 15_016_208, 60_064_835]);
  });

  it('accepts a plain count', () => {
    expect(parseCacheSize('4096', sized, false)).toBe(4096);
  });

  it('rejects an invalid size', () => {
    expect(() => parseCacheSize('5 GB', sized, false)).toThrow('invalid cache size "5 GB": expected a positive integer or a percentage such as 5%');
    expect(() => parseCacheSize('0%', sized, false)).toThrow('cache size "0%" is 0');
  });
});

describe('simulateObjectTrace', () => {
  it('counts requests, misses and bytes', () => {
    const path = writeTrace('count.csv', '0,1,10\n1,2,20\n2,1,10\n3,3,30\n4,1,10\n');
    const trace = readObjectTrace(path, { format: 'csv', ignoreSize: false });
    // Capacity 40 fits 1 and 2. Then 3 (size 30) evicts the LRU object 2, and 1 still fits beside 3.
    const result = simulateObjectTrace(trace, parsePolicySpec('lru'), 40, { recordHits: true });
    expect([...result.hits!]).toEqual([0, 0, 1, 0, 1]);
    expect(result).toMatchObject({ requests: 5, misses: 3, bytesRequested: 80, bytesMissed: 60 });
  });

  it('counts an object larger than the cache as a miss', () => {
    const path = writeTrace('large.csv', '0,1,100\n1,1,100\n');
    const trace = readObjectTrace(path, { format: 'csv', ignoreSize: false });
    const result = simulateObjectTrace(trace, parsePolicySpec('lru'), 50);
    expect(result.misses).toBe(2);
  });
});
