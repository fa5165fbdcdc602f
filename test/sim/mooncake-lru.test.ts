// LRU over the blocks of the real Mooncake conversation trace (kvcache-ai/Mooncake, Apache-2.0),
// against reference counts computed outside kvtier by a short Python script with an OrderedDict:
// for each request in file order, look up every block id (counting hits anywhere and hits before
// the first miss), then touch every id head to tail, inserting missing ones and dropping the least
// recently used while the cache holds more than its capacity.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parsePolicySpec } from '../../policies/registry.js';
import { KvStore } from '../../sim/kv-store.js';
import { forEachMooncakeRequest } from '../../workloads/mooncake.js';

const tracePath = fileURLToPath(new URL('../../workloads/data/mooncake_conversation_trace.jsonl', import.meta.url));
const referencePath = fileURLToPath(new URL('../fixtures/reference/mooncake-conversation-lru.csv', import.meta.url));
const BLOCK_TOKENS = 512;

interface ReferenceRow {
  capacity: number;
  blockRefs: number;
  hitsAnyPosition: number;
  hitsPrefix: number;
  inputTokens: number;
  prefixHitTokens: number;
}

function readReference(): ReferenceRow[] {
  const [header, ...lines] = readFileSync(referencePath, 'utf8').trim().split('\n');
  expect(header).toBe('capacity_blocks,block_refs,hits_any_position,hits_prefix,input_tokens,prefix_hit_tokens');
  return lines.map((line) => {
    const [capacity, blockRefs, hitsAnyPosition, hitsPrefix, inputTokens, prefixHitTokens] = line.split(',');
    return {
      capacity: capacity === 'unbounded' ? Infinity : Number(capacity),
      blockRefs: Number(blockRefs),
      hitsAnyPosition: Number(hitsAnyPosition),
      hitsPrefix: Number(hitsPrefix),
      inputTokens: Number(inputTokens),
      prefixHitTokens: Number(prefixHitTokens),
    };
  });
}

function replay(capacity: number): Omit<ReferenceRow, 'capacity'> {
  // One tier counting each block as size 1, so capacity is in blocks as in the reference.
  const store = new KvStore(
    [{ name: 'gpu', capacity, policy: parsePolicySpec('lru'), writeMode: 'write-back', writeSelectiveHits: 2, exclusive: false }],
    { bytesPerToken: 1, unitSizes: true },
  );
  const counts = { blockRefs: 0, hitsAnyPosition: 0, hitsPrefix: 0, inputTokens: 0, prefixHitTokens: 0 };
  forEachMooncakeRequest(tracePath, (record) => {
    let prefix = 0;
    let inPrefix = true;
    for (let i = 0; i < record.promptBlockCount; i++) {
      const present = store.find(record.promptBlockIds[i]) >= 0;
      if (present) counts.hitsAnyPosition++;
      if (present && inPrefix) prefix++;
      else inPrefix = false;
    }
    for (let i = 0; i < record.promptBlockCount; i++) store.touch(record.promptBlockIds[i], BLOCK_TOKENS, -1);
    counts.blockRefs += record.promptBlockCount;
    counts.hitsPrefix += prefix;
    counts.inputTokens += record.inputTokens;
    counts.prefixHitTokens += Math.min(prefix * BLOCK_TOKENS, record.inputTokens);
  });
  return counts;
}

describe('LRU over the Mooncake conversation trace', () => {
  for (const row of readReference()) {
    it(`matches the reference at ${row.capacity} blocks`, () => {
      const { capacity, ...expected } = row;
      const got = replay(capacity);
      expect(got.blockRefs).toBe(expected.blockRefs);
      expect(got.inputTokens).toBe(expected.inputTokens);
      expect(got.hitsAnyPosition).toBe(expected.hitsAnyPosition);
      expect(got.hitsPrefix).toBe(expected.hitsPrefix);
      expect(got.prefixHitTokens).toBe(expected.prefixHitTokens);
    });
  }
});
