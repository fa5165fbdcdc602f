// The recorder of a run: latency histograms and counters, updated by the simulator on every
// request. Tier-indexed arrays use the fixed order gpu, dram, ssd whatever tiers a scenario
// enables, so a disabled tier reads as zero.

import { Histogram } from './histogram.js';

export const TIER_NAMES = ['gpu', 'dram', 'ssd'] as const;
export type TierName = (typeof TIER_NAMES)[number];

/** Source of a request's used prefix: none, or the slowest tier it used. */
export const PrefixSource = { None: 0, Gpu: 1, Dram: 2, Ssd: 3 } as const;

export class RunRecorder {
  readonly ttftNs = new Histogram();
  readonly tpotNs = new Histogram();
  readonly e2eNs = new Histogram();
  readonly queueNs = new Histogram();
  readonly loadNs = new Histogram();

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
  /** Present blocks not used: after the first missing block, or recomputed because loading was slower. */
  presentUnusedBlocks = 0;
  presentUnusedTokens = 0;
  /** Of those, blocks in the usable prefix that the load rule chose to recompute. */
  recomputedByRuleBlocks = 0;
  /** Requests by where their used prefix came from, indexed by PrefixSource. */
  readonly requestsBySource = new Float64Array(4);

  /** Bytes read from each tier to load blocks into the GPU. */
  readonly loadedBytes = new Float64Array(3);

  prefillTokens = 0;
  decodeTokens = 0;
  steps = 0;
  gpuBusyNs = 0;
  maxQueueLength = 0;
  events = 0;
  endAt = 0;
}
