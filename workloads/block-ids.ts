// Block ids for traces that record token counts but no block ids (Azure, BurstGPT). The ids
// follow the same hash-chain rule as the synthetic generator: block k of a context that holds n
// tokens gets hash(key, substream, k, tokens in the block). A session's turns share a substream, so
// a full block keeps its id from turn to turn and each turn's prompt hits the previous turn's
// context. A partial tail block changes id as it fills and never hits across turns.

import { createRng, drawKey32, hash53 } from './random.js';
import { reserveBlocks, type RequestRecord } from './request.js';

/** Substream of the shared prefix's blocks. Session and request substreams stay below it. */
const SHARED_PREFIX_SUBSTREAM = 0xffffffff;

export class ChainBlockIds {
  private readonly sessionKey: number;
  private readonly requestKey: number;
  private readonly sharedIds: Float64Array;

  /**
   * `seed` picks the hash keys. The first `sharedPrefixTokens` tokens of every request are treated
   * as one prompt shared by all requests, so their full blocks carry the same ids everywhere.
   */
  constructor(
    seed: number | string,
    readonly blockTokens: number,
    sharedPrefixTokens = 0,
  ) {
    this.sessionKey = drawKey32(createRng(seed, 'trace-session-block-ids'));
    this.requestKey = drawKey32(createRng(seed, 'trace-request-block-ids'));
    const sharedKey = drawKey32(createRng(seed, 'trace-shared-prefix-block-ids'));
    const sharedBlocks = Math.floor(sharedPrefixTokens / blockTokens);
    this.sharedIds = new Float64Array(sharedBlocks);
    for (let index = 0; index < sharedBlocks; index++) {
      this.sharedIds[index] = hash53(sharedKey, SHARED_PREFIX_SUBSTREAM, index, blockTokens);
    }
  }

  /**
   * Writes the prompt and context block ids of `out` from its `inputTokens` and `outputTokens`.
   * Requests of one session pass the session id, an integer in [0, 2^32 - 1). A request without a
   * session passes -1 and its own `requestIndex`, so it shares no blocks beyond the shared prefix.
   */
  write(sessionId: number, requestIndex: number, out: RequestRecord): void {
    const key = sessionId >= 0 ? this.sessionKey : this.requestKey;
    const substream = (sessionId >= 0 ? sessionId : requestIndex) % SHARED_PREFIX_SUBSTREAM;
    const blockTokens = this.blockTokens;
    const inputTokens = out.inputTokens;
    const contextTokens = inputTokens + out.outputTokens;
    const contextBlockCount = Math.ceil(contextTokens / blockTokens);
    const promptBlockCount = Math.ceil(inputTokens / blockTokens);
    reserveBlocks(out, contextBlockCount);
    const contextIds = out.contextBlockIds;
    const promptIds = out.promptBlockIds;
    // Shared ids apply to full blocks of the prompt only.
    const sharedCount = Math.min(this.sharedIds.length, Math.floor(inputTokens / blockTokens));

    for (let index = 0; index < contextBlockCount; index++) {
      const id =
        index < sharedCount
          ? this.sharedIds[index]
          : hash53(key, substream, index, Math.min(blockTokens, contextTokens - index * blockTokens));
      contextIds[index] = id;
      promptIds[index] = id;
    }
    const promptTailTokens = inputTokens % blockTokens;
    if (promptTailTokens !== 0) {
      const tailIndex = promptBlockCount - 1;
      promptIds[tailIndex] = hash53(key, substream, tailIndex, promptTailTokens);
    }
    out.promptBlockCount = promptBlockCount;
    out.contextBlockCount = contextBlockCount;
  }
}
