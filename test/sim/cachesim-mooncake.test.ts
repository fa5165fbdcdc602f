// The Mooncake LRU reference through object-trace mode. `kvtier cachesim --trace-format mooncake
// --ignore-size` flattens the trace to one request per block and looks each block up just before
// touching it. The reference, test/fixtures/reference/mooncake-conversation-lru.csv, was computed
// outside kvtier by a short Python script with an OrderedDict (see mooncake-lru.test.ts). It looks
// up all of a request's blocks before touching any, so its hits_any_position also counts blocks
// present behind the first missing one.
//
// In the flattened replay those stranded blocks never hit. A block present behind a missing block
// of its context was last requested right after the blocks between them, so once the missing block
// is inserted they are the least recently used. Each insert then evicts the next stranded block
// just before its own request. The flattened hits therefore equal the reference's hits_prefix, the
// blocks before the first miss, and hits_any_position exceeds them by the stranded blocks.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolveCachesimArgs, runCachesim } from '../../cli/cachesim.js';
import { readObjectTrace } from '../../sim/cachesim.js';

const tracePath = fileURLToPath(new URL('../../workloads/data/mooncake_conversation_trace.jsonl', import.meta.url));
const referencePath = fileURLToPath(new URL('../fixtures/reference/mooncake-conversation-lru.csv', import.meta.url));

function readReference(): { capacity: number; blockRefs: number; hitsAnyPosition: number; hitsPrefix: number }[] {
  const [header, ...lines] = readFileSync(referencePath, 'utf8').trim().split('\n');
  const columns = header.split(',');
  return lines
    .map((line) => line.split(','))
    .filter((fields) => fields[columns.indexOf('capacity_blocks')] !== 'unbounded')
    .map((fields) => ({
      capacity: Number(fields[columns.indexOf('capacity_blocks')]),
      blockRefs: Number(fields[columns.indexOf('block_refs')]),
      hitsAnyPosition: Number(fields[columns.indexOf('hits_any_position')]),
      hitsPrefix: Number(fields[columns.indexOf('hits_prefix')]),
    }));
}

describe('Mooncake LRU reference through kvtier cachesim', () => {
  const reference = readReference();
  const plan = resolveCachesimArgs({
    trace: tracePath,
    policies: 'lru',
    sizes: reference.map((row) => row.capacity).join(','),
    ignoreSize: true,
    format: 'csv',
    traceFormat: 'mooncake',
    out: 'unused',
  });
  const trace = readObjectTrace(plan.tracePath, { format: plan.traceFormat, ignoreSize: plan.ignoreSize });
  const results = runCachesim(plan, trace);

  for (const [index, row] of reference.entries()) {
    it(`hits equal hits_prefix at ${row.capacity} blocks`, () => {
      const result = results[index];
      expect(result.cacheSize).toBe(row.capacity);
      expect(result.requests).toBe(row.blockRefs);
      expect(result.requests - result.misses).toBe(row.hitsPrefix);
      expect(row.hitsAnyPosition).toBeGreaterThanOrEqual(row.hitsPrefix);
    });
  }
});
