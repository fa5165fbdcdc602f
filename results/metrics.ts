// Every metric of a run's summary.json, defined once with its unit and formula. The metric glossary
// in docs/metrics.md is generated from this table (`npm run docs:metrics`), and a test checks that
// each leaf of a summary has an entry here. `{tier}` stands for gpu, dram and ssd; `{source}` for
// miss, gpu, dram, ssd and recomputed; `{stat}` for p50, p90, p99, p999, max and mean.

import { TTFT_SOURCES } from './recorder.js';

export interface MetricDefinition {
  path: string;
  unit: string;
  definition: string;
}

export const LATENCY_STATS = ['p50', 'p90', 'p99', 'p999', 'max', 'mean'] as const;

const latency = (path: string, what: string): MetricDefinition => ({
  path: `${path}.{stat}`,
  unit: 'ms',
  definition: `${what}; p50..p999 are nearest-rank percentiles over completed requests (within 0.05%, from a log-linear histogram), max and mean are exact`,
});

export const METRICS: readonly MetricDefinition[] = [
  { path: 'kvtierVersion', unit: 'text', definition: 'version of kvtier that produced the run' },
  { path: 'scenario', unit: 'text', definition: 'the scenario name' },
  { path: 'seed', unit: 'integer', definition: 'seed of every random draw in the run' },
  { path: 'partial', unit: 'boolean', definition: 'true when the run was stopped (Ctrl-C) before its workload ended: every metric then covers the simulated time up to the stop' },
  { path: 'simulatedSeconds', unit: 's', definition: 'simulated time from 0 to the last event' },
  { path: 'events', unit: 'count', definition: 'events the engine processed' },
  { path: 'requests.arrived', unit: 'count', definition: 'requests that arrived (every turn of every session, or every trace line)' },
  { path: 'requests.completed', unit: 'count', definition: 'requests that generated their last token' },
  { path: 'requests.oversized', unit: 'count', definition: 'requests whose KV exceeded the in-flight budget, admitted alone' },
  { path: 'lookups.blocks', unit: 'blocks', definition: 'prompt blocks looked up = sum over requests of the prompt block count' },
  { path: 'lookups.tokens', unit: 'tokens', definition: 'prompt tokens = sum over requests of input tokens' },
  {
    path: 'hitRate.tokens.{tier}',
    unit: 'fraction',
    definition: 'prompt tokens served from the tier (in the usable prefix, loaded or already in GPU, not recomputed) / lookups.tokens',
  },
  { path: 'hitRate.tokens.total', unit: 'fraction', definition: 'sum of hitRate.tokens over the tiers' },
  { path: 'hitRate.blocks.{tier}', unit: 'fraction', definition: 'prompt blocks served from the tier / lookups.blocks' },
  { path: 'hitRate.blocks.total', unit: 'fraction', definition: 'sum of hitRate.blocks over the tiers' },
  {
    path: 'hitRate.requests.{tier}',
    unit: 'fraction',
    definition: 'requests whose used prefix is non-empty and whose slowest source tier is this one / requests admitted',
  },
  { path: 'hitRate.requests.total', unit: 'fraction', definition: 'requests with a non-empty used prefix / requests admitted' },
  { path: 'present.blocks.{tier}', unit: 'blocks', definition: 'prompt blocks found with their fastest copy in the tier, used or not' },
  {
    path: 'present.unusedBlocks',
    unit: 'blocks',
    definition: 'prompt blocks present in some tier but not used: after the first missing block, or recomputed because loading was slower',
  },
  { path: 'present.unusedTokens', unit: 'tokens', definition: 'tokens of present.unusedBlocks' },
  { path: 'present.recomputedByLoadRule', unit: 'blocks', definition: 'usable blocks below the GPU that the load rule recomputed' },
  latency('ttftMs', 'time to first token: end of the step that prefilled the request - arrival'),
  latency('tpotMs', 'time per output token: (completion - first token) / (output tokens - 1), over requests with 2 or more output tokens'),
  latency('e2eMs', 'end-to-end latency: completion - arrival'),
  latency('ttftPartsMs.queue', 'TTFT part, queueing: admission - arrival'),
  latency(
    'ttftPartsMs.load',
    'TTFT part, loading: from admission until the request may join a prefill step because of its loads, plus the time its loads lengthened its prefill steps (layer-wise overlap)',
  ),
  latency('ttftPartsMs.gpuWait', 'TTFT part, waiting for the GPU: start of the first step that prefills the request - admission - the load part before it'),
  latency('ttftPartsMs.compute', 'TTFT part, compute: TTFT - queue - load - gpuWait, the prefill steps (with the batch they share) up to the first token'),
  {
    path: 'ttftBySource.{source}.requests',
    unit: 'count',
    definition:
      'requests by prefix source: miss (nothing usable), gpu (all used blocks in GPU), dram or ssd (slowest tier loaded from), recomputed (the load rule recomputed a cached range)',
  },
  latency('ttftBySource.{source}', 'TTFT of the requests with this prefix source'),
  latency('loadDurationMs', 'load duration: completion of the last kept load - admission, over requests that loaded blocks'),
  { path: 'slo.ttftTargetMs', unit: 'ms', definition: 'TTFT target (slo.ttftMs)' },
  { path: 'slo.tpotTargetMs', unit: 'ms', definition: 'TPOT target (slo.tpotMs)' },
  { path: 'slo.ttftAttainment', unit: 'fraction', definition: 'completed requests with TTFT <= target / completed requests' },
  { path: 'slo.tpotAttainment', unit: 'fraction', definition: 'completed requests with TPOT <= target / completed requests (a single-token request meets it)' },
  { path: 'slo.attainment', unit: 'fraction', definition: 'completed requests meeting both targets / completed requests' },
  { path: 'ssd.bytesWritten', unit: 'bytes', definition: 'bytes written into the SSD tier (demotions, write-throughs, selective writes)' },
  { path: 'ssd.bytesRead', unit: 'bytes', definition: 'bytes read from the SSD tier to load blocks into the GPU' },
  {
    path: 'ssd.neverReadBlocksShare',
    unit: 'fraction',
    definition: '(blocks written into the SSD tier - those read back at least once before leaving it) / blocks written; null when none were written',
  },
  { path: 'ssd.bytesWrittenPerHitByte', unit: 'ratio', definition: 'ssd.bytesWritten / ssd.bytesRead; null when nothing was read from the SSD' },
  {
    path: 'ssd.deviceWriteAmplification',
    unit: 'ratio',
    definition:
      "flash bytes per host byte from garbage collection (Desnoyers, SYSTOR 2012, greedy cleaning) at spare factor 1 - SSD tier bytes at the end / the drive's raw capacity; " +
      'the share of each block write that fills whole 32 MiB erase blocks counts 1; null when the raw capacity is unknown',
  },
  {
    path: 'ssd.driveWritesPerDay',
    unit: 'DWPD',
    definition: "ssd.bytesWritten x ssd.deviceWriteAmplification / the drives' user capacity / (simulatedSeconds / 86,400); null when a figure is unknown",
  },
  {
    path: 'ssd.daysToRatedEndurance',
    unit: 'days',
    definition: 'rated DWPD x user capacity x 365 x warranty years / (flash bytes written per simulated day); null without a rating (preset or tiers.ssd.ratedDwpd) or without writes',
  },
  { path: 'dram.bytesWritten', unit: 'bytes', definition: 'bytes written into the DRAM tier' },
  { path: 'dram.bytesRead', unit: 'bytes', definition: 'bytes read from the DRAM tier to load blocks into the GPU' },
  { path: 'tiers.{tier}.capacityBytes', unit: 'bytes', definition: 'capacity of the tier (0 when disabled)' },
  { path: 'tiers.{tier}.policy', unit: 'text', definition: 'eviction policy label with its parameters' },
  { path: 'tiers.{tier}.blocksWritten', unit: 'blocks', definition: 'blocks inserted into the tier' },
  { path: 'tiers.{tier}.bytesWritten', unit: 'bytes', definition: 'bytes inserted into the tier' },
  { path: 'tiers.{tier}.evictions', unit: 'blocks', definition: 'blocks the tier evicted' },
  { path: 'tiers.{tier}.demotions', unit: 'blocks', definition: 'evicted blocks written into the next tier' },
  { path: 'tiers.{tier}.drops', unit: 'blocks', definition: 'evicted blocks that left their last copy in the store' },
  { path: 'tiers.{tier}.residentBlocksAtEnd', unit: 'blocks', definition: 'blocks in the tier when the run ended' },
  { path: 'tiers.{tier}.usedBytesAtEnd', unit: 'bytes', definition: 'bytes in the tier when the run ended' },
  { path: 'gpu.busyFraction', unit: 'fraction', definition: 'time the GPU spent in steps / simulatedSeconds' },
  { path: 'gpu.steps', unit: 'count', definition: 'GPU steps (each one prefill batch and/or one decode token per running request)' },
  { path: 'gpu.maxStepMs', unit: 'ms', definition: 'longest GPU step, the worst gap between two tokens of a decoding request' },
  { path: 'gpu.prefillTokens', unit: 'tokens', definition: 'prompt tokens computed by prefill (input - used prefix, at least 1)' },
  { path: 'gpu.decodeTokens', unit: 'tokens', definition: 'output tokens after the first' },
  { path: 'gpu.maxQueueLength', unit: 'requests', definition: 'largest number of requests waiting for admission' },
  { path: 'memory.kvBytesPerToken', unit: 'bytes', definition: 'KV bytes per token of the model' },
  { path: 'memory.blockTokens', unit: 'tokens', definition: 'tokens per KV block' },
  { path: 'memory.weightBytes', unit: 'bytes', definition: 'model weights in HBM over all tensor-parallel GPUs' },
  { path: 'memory.gpuCacheBytes', unit: 'bytes', definition: 'capacity of the GPU cache tier' },
  {
    path: 'memory.peakKvDemandBytes',
    unit: 'bytes',
    definition:
      'peak KV demand: max over time of the KV bytes of every live session context (from its first arrival to its end, think times included) plus running requests without a session',
  },
  { path: 'memory.inflightBudgetBytes', unit: 'bytes', definition: 'HBM for the KV of running requests: HBM x memoryUtilization - weights - GPU cache tier' },
];

/** Expands `{tier}` and `{stat}` placeholders into every concrete metric path. */
export function expandMetricPaths(definition: MetricDefinition): string[] {
  let paths = [definition.path];
  if (definition.path.includes('{tier}')) paths = paths.flatMap((path) => ['gpu', 'dram', 'ssd'].map((tier) => path.replace('{tier}', tier)));
  if (definition.path.includes('{source}')) paths = paths.flatMap((path) => TTFT_SOURCES.map((source) => path.replace('{source}', source)));
  if (definition.path.includes('{stat}')) paths = paths.flatMap((path) => LATENCY_STATS.map((stat) => path.replace('{stat}', stat)));
  return paths;
}

/** Renders the metric glossary as Markdown. */
export function renderMetricGlossary(): string {
  const lines = [
    '# Metric glossary',
    '',
    'Every metric in a run\'s `summary.json` and `metrics.csv`, with its unit and formula. `{tier}` stands for',
    '`gpu`, `dram` and `ssd`; `{source}` for `miss`, `gpu`, `dram`, `ssd` and `recomputed`; `{stat}` for `p50`,',
    '`p90`, `p99`, `p999`, `max` and `mean`. This page is generated',
    'from `results/metrics.ts` by `npm run docs:metrics`.',
    '',
    '| metric | unit | definition |',
    '|---|---|---|',
  ];
  for (const metric of METRICS) lines.push(`| \`${metric.path}\` | ${metric.unit} | ${metric.definition} |`);
  return `${lines.join('\n')}\n`;
}
