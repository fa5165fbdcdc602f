// Golden miss counts from libCacheSim (github.com/1a1a11a/libCacheSim, commit aa0fc40, 2024-10-07),
// whose cachesim was run on test/fixtures/libcachesim/zipf_a1.0_200k_seed42.csv; see the README in
// that folder. kvtier must reproduce every count exactly. When a count differs, the test names the
// first request whose hit or miss differs from libCacheSim's recorded sequence (hits/*.txt.gz).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePolicySpec } from '../../policies/registry.js';
import { readObjectTrace, simulateObjectTrace, type ObjectTrace } from '../../sim/cachesim.js';

const fixtures = fileURLToPath(new URL('../fixtures/libcachesim/', import.meta.url));
const tracePath = `${fixtures}zipf_a1.0_200k_seed42.csv`;

interface ReferenceRow {
  policy: string;
  sizeMode: 'unit' | 'var';
  cacheSize: number;
  requests: number;
  misses: number;
  bytesRequested: number;
  bytesMissed: number;
}

function readReference(): ReferenceRow[] {
  const lines = readFileSync(`${fixtures}zipf_a1.0_200k_seed42_reference.csv`, 'utf8').trim().split(/\r?\n/);
  const header = lines[0].split(',');
  const column = (name: string) => header.indexOf(name);
  return lines.slice(1).map((line) => {
    const fields = line.split(',');
    return {
      policy: fields[column('cachesim_algo_arg')],
      sizeMode: fields[column('size_mode')] === 'unit' ? 'unit' : 'var',
      cacheSize: Number(fields[column('cache_size')]),
      requests: Number(fields[column('requests')]),
      misses: Number(fields[column('n_miss_exact')]),
      bytesRequested: Number(fields[column('n_req_bytes_exact')]),
      bytesMissed: Number(fields[column('n_miss_bytes_exact')]),
    };
  });
}

/** Index of the first request where `hits` differs from libCacheSim's recorded sequence, or -1. */
function firstDifference(row: ReferenceRow, hits: Uint8Array): string {
  const file = `${fixtures}hits/${row.policy}_${row.sizeMode}_${row.cacheSize}.txt.gz`;
  const expected = gunzipSync(readFileSync(file)).toString('ascii').trim();
  for (let index = 0; index < expected.length; index++) {
    const expectedHit = expected.charCodeAt(index) === 49 ? 1 : 0;
    if (hits[index] !== expectedHit) return `first difference at request ${index}: libCacheSim ${expectedHit ? 'hit' : 'miss'}`;
  }
  return 'no difference in the hit sequence';
}

const reference = readReference();
const traces: Partial<Record<'unit' | 'var', ObjectTrace>> = {};

beforeAll(() => {
  traces.unit = readObjectTrace(tracePath, { format: 'csv', ignoreSize: true });
  traces.var = readObjectTrace(tracePath, { format: 'csv', ignoreSize: false });
});

describe('libCacheSim reference trace', () => {
  it('working set matches the reference sizes', () => {
    expect(traces.unit!.objectCount).toBe(16_817);
    expect(traces.var!.workingSetSize).toBe(300_324_176);
    expect(traces.var!.totalRequestedSize).toBe(2_807_898_655);
  });
});

describe.each(reference)('$policy $sizeMode $cacheSize', (row) => {
  it('matches libCacheSim miss counts exactly', () => {
    const trace = traces[row.sizeMode]!;
    const result = simulateObjectTrace(trace, parsePolicySpec(row.policy), row.cacheSize, { recordHits: true });
    const detail = result.misses === row.misses ? '' : firstDifference(row, result.hits!);
    expect(result.requests).toBe(row.requests);
    expect(result.misses, detail).toBe(row.misses);
    expect(result.bytesRequested).toBe(row.bytesRequested);
    expect(result.bytesMissed, detail).toBe(row.bytesMissed);
  });
});
