// LRU over the blocks of the real Mooncake conversation trace (kvcache-ai/Mooncake, Apache-2.0),
// against reference counts computed outside kvtier by a short Python script with an OrderedDict:
// for each request in file order, look up every block id (counting hits anywhere and hits before
// the first miss), then touch every id head to tail, inserting missing ones and dropping the least
// recently used while the cache holds more than its capacity.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { replayMooncakeBlocks } from '../../sim/block-replay.js';

const tracePath = fileURLToPath(new URL('../../workloads/data/mooncake_conversation_trace.jsonl', import.meta.url));
const referencePath = fileURLToPath(new URL('../fixtures/reference/mooncake-conversation-lru.csv', import.meta.url));

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

describe('LRU over the Mooncake conversation trace', () => {
  for (const row of readReference()) {
    it(`matches the reference at ${row.capacity} blocks`, () => {
      const { capacity, ...expected } = row;
      const got = replayMooncakeBlocks(tracePath, capacity);
      expect(got.blockRefs).toBe(expected.blockRefs);
      expect(got.inputTokens).toBe(expected.inputTokens);
      expect(got.hitsAnyPosition).toBe(expected.hitsAnyPosition);
      expect(got.hitsPrefix).toBe(expected.hitsPrefix);
      expect(got.prefixHitTokens).toBe(expected.prefixHitTokens);
    });
  }
});
