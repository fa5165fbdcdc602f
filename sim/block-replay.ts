// Block-level replay of a Mooncake trace through one tier of the KV store, without timing. Each
// request in file order first looks up every block, counting hits anywhere and hits before the
// first miss, then touches every block head to tail. This is the order of the reference LRU counts
// that kvtier is checked against.

import { parsePolicySpec } from '../policies/registry.js';
import { forEachMooncakeRequest, MOONCAKE_BLOCK_TOKENS } from '../workloads/mooncake.js';
import { KvStore } from './kv-store.js';

export interface BlockReplayCounts {
  requests: number;
  blockRefs: number;
  hitsAnyPosition: number;
  hitsPrefix: number;
  inputTokens: number;
  prefixHitTokens: number;
}

/** Replays `tracePath` through one cache of `capacityBlocks` blocks (Infinity for unbounded) under `policy`. */
export function replayMooncakeBlocks(tracePath: string, capacityBlocks: number, policy = 'lru'): BlockReplayCounts {
  const store = new KvStore(
    [{ name: 'gpu', capacity: capacityBlocks, policy: parsePolicySpec(policy), writeMode: 'write-back', writeSelectiveHits: 2, exclusive: false }],
    { bytesPerToken: 1, unitSizes: true },
  );
  const counts: BlockReplayCounts = { requests: 0, blockRefs: 0, hitsAnyPosition: 0, hitsPrefix: 0, inputTokens: 0, prefixHitTokens: 0 };
  forEachMooncakeRequest(tracePath, (record) => {
    let prefix = 0;
    let inPrefix = true;
    for (let i = 0; i < record.promptBlockCount; i++) {
      const present = store.find(record.promptBlockIds[i]) >= 0;
      if (present) counts.hitsAnyPosition++;
      if (present && inPrefix) prefix++;
      else inPrefix = false;
    }
    store.access.session = -1;
    for (let i = 0; i < record.promptBlockCount; i++) {
      store.access.position = i;
      store.touch(record.promptBlockIds[i], MOONCAKE_BLOCK_TOKENS, -1);
    }
    counts.requests++;
    counts.blockRefs += record.promptBlockCount;
    counts.hitsPrefix += prefix;
    counts.inputTokens += record.inputTokens;
    counts.prefixHitTokens += Math.min(prefix * MOONCAKE_BLOCK_TOKENS, record.inputTokens);
  });
  return counts;
}
