// The recorder of a run: latency histograms and counters, updated by the simulator on every
// request. Tier-indexed arrays use the fixed order gpu, dram, ssd whatever tiers a scenario
// enables, so a disabled tier reads as zero.

import { Histogram } from './histogram.js';

export const TIER_NAMES = ['gpu', 'dram', 'ssd'] as const;
export type TierName = (typeof TIER_NAMES)[number];

/** Source of a request's used prefix: none, or the slowest tier it used. */
export const PrefixSource = { None: 0, Gpu: 1, Dram: 2, Ssd: 3 } as const;

/**
 * Where a request's prefix came from, for the TTFT breakdown: nothing cached (miss), all in GPU,
 * loaded from DRAM, loaded from SSD (the slowest tier loaded from), or recomputed although present
 * below the GPU because loading was slower.
 */
export const TTFT_SOURCES = ['miss', 'gpu', 'dram', 'ssd', 'recomputed'] as const;
export type TtftSource = (typeof TTFT_SOURCES)[number];
export const TtftSourceIndex = { Miss: 0, Gpu: 1, Dram: 2, Ssd: 3, Recomputed: 4 } as const;

/** The parts of time to first token, which add up to it exactly. */
export const TTFT_PARTS = ['queue', 'load', 'gpuWait', 'compute'] as const;

export class RunRecorder {
  readonly ttftNs = new Histogram();
  readonly tpotNs = new Histogram();
  readonly e2eNs = new Histogram();
  /** Duration of a request's loads, from admission to the last kept load's completion, over requests that loaded. */
  readonly loadDurationNs = new Histogram();
  /** TTFT parts, indexed like TTFT_PARTS. */
  readonly ttftPartsNs = TTFT_PARTS.map(() => new Histogram());
  /** TTFT by prefix source, indexed like TTFT_SOURCES. */
  readonly ttftBySourceNs = TTFT_SOURCES.map(() => new Histogram());

  requestsArrived = 0;
  requestsCompleted = 0;
  /** Requests admitted alone because their KV exceeded the in-flight budget. */
  requestsOversized = 0;

  promptTokens = 0;
  promptBlocks = 0;
  /** Prompt blocks and tokens served from each tier (in the usable prefix and not recomputed). */
  readonly usedBlocks = new Float64Array(3);
  readonly usedTokens = new Float64Array(3);
  /** Prompt blocks found in each tier (the fastest tier holding them), used or not. */
  readonly presentBlocks = new Float64Array(3);
  /** Prompt blocks found in no tier. */
  absentBlocks = 0;
  /** Present blocks not used: after the first missing block, or recomputed because loading was slower. */
  presentUnusedBlocks = 0;
  presentUnusedTokens = 0;
  /** Of those, blocks in the usable prefix that the load rule chose to recompute. */
  recomputedByRuleBlocks = 0;
  /** Requests by where their used prefix came from, indexed by PrefixSource. */
  readonly requestsBySource = new Float64Array(4);

  /** Bytes read from each tier to load blocks into the GPU. */
  readonly loadedBytes = new Float64Array(3);

  /** Completed requests within the TTFT target, within the TPOT target, and within both. */
  sloTtftMet = 0;
  sloTpotMet = 0;
  sloBothMet = 0;

  prefillTokens = 0;
  decodeTokens = 0;
  steps = 0;
  gpuBusyNs = 0;
  /** Longest GPU step: the worst gap between two tokens of a decoding request. */
  maxStepNs = 0;
  maxQueueLength = 0;
  /** Largest sum of context tokens over live sessions (and running requests without a session). */
  peakDemandTokens = 0;
  events = 0;
  endAt = 0;
}
