// Builds summary.json from what a run recorded. The structure and every formula are those of the
// metric table in metrics.ts.

import { LATENCY_STATS } from './metrics.js';
import type { Histogram } from './histogram.js';
import { PrefixSource, TTFT_PARTS, TTFT_SOURCES, type RunRecorder, type TierName, type TtftSource } from './recorder.js';

/** Counters of one tier of the KV store at the end of a run. */
export interface TierFacts {
  name: TierName;
  capacityBytes: number;
  policy: string;
  blocksWritten: number;
  bytesWritten: number;
  evictions: number;
  demotions: number;
  drops: number;
  residentBlocks: number;
  usedBytes: number;
}

export interface RunFacts {
  kvtierVersion: string;
  scenario: string;
  seed: number;
  /** Whether the run was stopped before its workload ended. */
  partial?: boolean;
  recorder: RunRecorder;
  tiers: TierFacts[];
  memory: {
    kvBytesPerToken: number;
    blockTokens: number;
    weightBytes: number;
    gpuCacheBytes: number;
    inflightBudgetBytes: number;
  };
  /** SLO targets of the run. */
  slo: { ttftMs: number; tpotMs: number };
  /** Write reuse and endurance of the SSD tier's drive; null or absent without an SSD tier. */
  ssdDrive?: SsdDriveFacts | null;
}

/** Write reuse and endurance of the SSD tier's drive; a figure is null where the drive's data lacks what it needs. */
export interface SsdDriveFacts {
  /** Blocks written to the SSD tier that were later read back at least once. */
  readBackBlocks: number;
  deviceWriteAmplification: number | null;
  driveWritesPerDay: number | null;
  daysToRatedEndurance: number | null;
}

type LatencySummary = Record<(typeof LATENCY_STATS)[number], number | null>;
type PerTier<T> = Record<TierName, T>;

export interface RunSummary {
  kvtierVersion: string;
  scenario: string;
  seed: number;
  partial: boolean;
  simulatedSeconds: number;
  events: number;
  requests: { arrived: number; completed: number; oversized: number };
  lookups: { blocks: number; tokens: number };
  hitRate: {
    tokens: PerTier<number> & { total: number };
    blocks: PerTier<number> & { total: number };
    requests: PerTier<number> & { total: number };
  };
  present: { blocks: PerTier<number>; unusedBlocks: number; unusedTokens: number; recomputedByLoadRule: number };
  ttftMs: LatencySummary;
  tpotMs: LatencySummary;
  e2eMs: LatencySummary;
  ttftPartsMs: Record<(typeof TTFT_PARTS)[number], LatencySummary>;
  ttftBySource: Record<TtftSource, LatencySummary & { requests: number }>;
  loadDurationMs: LatencySummary;
  slo: { ttftTargetMs: number; tpotTargetMs: number; ttftAttainment: number; tpotAttainment: number; attainment: number };
  ssd: {
    bytesWritten: number;
    bytesRead: number;
    neverReadBlocksShare: number | null;
    bytesWrittenPerHitByte: number | null;
    deviceWriteAmplification: number | null;
    driveWritesPerDay: number | null;
    daysToRatedEndurance: number | null;
  };
  dram: { bytesWritten: number; bytesRead: number };
  tiers: PerTier<Omit<TierFacts, 'name' | 'residentBlocks' | 'usedBytes'> & { residentBlocksAtEnd: number; usedBytesAtEnd: number }>;
  gpu: { busyFraction: number; steps: number; maxStepMs: number; prefillTokens: number; decodeTokens: number; maxQueueLength: number };
  memory: RunFacts['memory'] & { peakKvDemandBytes: number };
}

const NS_PER_MS = 1e6;

function latencySummary(histogram: Histogram): LatencySummary {
  if (histogram.count === 0) return { p50: null, p90: null, p99: null, p999: null, max: null, mean: null };
  return {
    p50: histogram.quantile(0.5) / NS_PER_MS,
    p90: histogram.quantile(0.9) / NS_PER_MS,
    p99: histogram.quantile(0.99) / NS_PER_MS,
    p999: histogram.quantile(0.999) / NS_PER_MS,
    max: histogram.max / NS_PER_MS,
    mean: histogram.mean / NS_PER_MS,
  };
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

function perTier<T>(value: (tier: number, name: TierName) => T): PerTier<T> {
  return { gpu: value(0, 'gpu'), dram: value(1, 'dram'), ssd: value(2, 'ssd') };
}

function ssdSummary(tier: TierFacts, bytesRead: number, drive: SsdDriveFacts | null): RunSummary['ssd'] {
  return {
    bytesWritten: tier.bytesWritten,
    bytesRead,
    neverReadBlocksShare: drive === null || tier.blocksWritten === 0 ? null : (tier.blocksWritten - drive.readBackBlocks) / tier.blocksWritten,
    bytesWrittenPerHitByte: bytesRead === 0 ? null : tier.bytesWritten / bytesRead,
    deviceWriteAmplification: drive?.deviceWriteAmplification ?? null,
    driveWritesPerDay: drive?.driveWritesPerDay ?? null,
    daysToRatedEndurance: drive?.daysToRatedEndurance ?? null,
  };
}

export function buildSummary(facts: RunFacts): RunSummary {
  const recorder = facts.recorder;
  const admitted = recorder.requestsBySource.reduce((sum, count) => sum + count, 0);
  const usedTokens = recorder.usedTokens.reduce((sum, value) => sum + value, 0);
  const usedBlocks = recorder.usedBlocks.reduce((sum, value) => sum + value, 0);
  const tierFacts = (name: TierName): TierFacts =>
    facts.tiers.find((tier) => tier.name === name) ?? {
      name,
      capacityBytes: 0,
      policy: 'none',
      blocksWritten: 0,
      bytesWritten: 0,
      evictions: 0,
      demotions: 0,
      drops: 0,
      residentBlocks: 0,
      usedBytes: 0,
    };

  return {
    kvtierVersion: facts.kvtierVersion,
    scenario: facts.scenario,
    seed: facts.seed,
    partial: facts.partial ?? false,
    simulatedSeconds: recorder.endAt / 1e9,
    events: recorder.events,
    requests: { arrived: recorder.requestsArrived, completed: recorder.requestsCompleted, oversized: recorder.requestsOversized },
    lookups: { blocks: recorder.promptBlocks, tokens: recorder.promptTokens },
    hitRate: {
      tokens: { ...perTier((tier) => ratio(recorder.usedTokens[tier], recorder.promptTokens)), total: ratio(usedTokens, recorder.promptTokens) },
      blocks: { ...perTier((tier) => ratio(recorder.usedBlocks[tier], recorder.promptBlocks)), total: ratio(usedBlocks, recorder.promptBlocks) },
      requests: {
        ...perTier((tier) => ratio(recorder.requestsBySource[tier + 1], admitted)),
        total: ratio(admitted - recorder.requestsBySource[PrefixSource.None], admitted),
      },
    },
    present: {
      blocks: perTier((tier) => recorder.presentBlocks[tier]),
      unusedBlocks: recorder.presentUnusedBlocks,
      unusedTokens: recorder.presentUnusedTokens,
      recomputedByLoadRule: recorder.recomputedByRuleBlocks,
    },
    ttftMs: latencySummary(recorder.ttftNs),
    tpotMs: latencySummary(recorder.tpotNs),
    e2eMs: latencySummary(recorder.e2eNs),
    ttftPartsMs: Object.fromEntries(TTFT_PARTS.map((part, index) => [part, latencySummary(recorder.ttftPartsNs[index])])) as RunSummary['ttftPartsMs'],
    ttftBySource: Object.fromEntries(
      TTFT_SOURCES.map((source, index) => [source, { requests: recorder.ttftBySourceNs[index].count, ...latencySummary(recorder.ttftBySourceNs[index]) }]),
    ) as RunSummary['ttftBySource'],
    loadDurationMs: latencySummary(recorder.loadDurationNs),
    slo: {
      ttftTargetMs: facts.slo.ttftMs,
      tpotTargetMs: facts.slo.tpotMs,
      ttftAttainment: ratio(recorder.sloTtftMet, recorder.requestsCompleted),
      tpotAttainment: ratio(recorder.sloTpotMet, recorder.requestsCompleted),
      attainment: ratio(recorder.sloBothMet, recorder.requestsCompleted),
    },
    ssd: ssdSummary(tierFacts('ssd'), recorder.loadedBytes[2], facts.ssdDrive ?? null),
    dram: { bytesWritten: tierFacts('dram').bytesWritten, bytesRead: recorder.loadedBytes[1] },
    tiers: perTier((_tier, name) => {
      const { name: _name, residentBlocks, usedBytes, ...rest } = tierFacts(name);
      return { ...rest, residentBlocksAtEnd: residentBlocks, usedBytesAtEnd: usedBytes };
    }),
    gpu: {
      busyFraction: ratio(recorder.gpuBusyNs, recorder.endAt),
      steps: recorder.steps,
      maxStepMs: recorder.maxStepNs / NS_PER_MS,
      prefillTokens: recorder.prefillTokens,
      decodeTokens: recorder.decodeTokens,
      maxQueueLength: recorder.maxQueueLength,
    },
    memory: { ...facts.memory, peakKvDemandBytes: recorder.peakDemandTokens * facts.memory.kvBytesPerToken },
  };
}

/** Flattens a summary into (metric path, value) pairs in document order, for metrics.csv. */
export function flattenSummary(summary: object, prefix = ''): [string, string | number | null][] {
  const rows: [string, string | number | null][] = [];
  for (const [key, value] of Object.entries(summary)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (value !== null && typeof value === 'object') rows.push(...flattenSummary(value as object, path));
    else rows.push([path, value as string | number | null]);
  }
  return rows;
}

