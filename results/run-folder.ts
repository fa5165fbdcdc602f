// Writes a run folder: config.json (the resolved scenario, which reproduces the run), summary.json,
// metrics.csv (tidy: one row per run x metric) and report.md. Each file is written under a
// temporary name and renamed, so an interrupted run leaves whole files or none.

import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { TTFT_PARTS, TTFT_SOURCES, type TtftSource } from './recorder.js';
import { flattenSummary, type RunSummary } from './summary.js';

const SOURCE_LABELS: Record<TtftSource, string> = {
  miss: 'nothing cached',
  gpu: 'all in GPU',
  dram: 'loaded from DRAM',
  ssd: 'loaded from SSD',
  recomputed: 'recomputed (loading was slower)',
};

/** Writes `content` to `path` through a temporary file in the same folder and a rename. */
export function writeFileAtomic(path: string, content: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}

/** Serialises JSON with two-space indentation and a final newline, so files diff cleanly. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export interface RunFolderContent {
  config: unknown;
  summary: RunSummary;
  /** timeseries.csv, when recorded. */
  timeSeriesCsv?: string;
}

/** Renders metrics.csv: one row per metric, labelled with the scenario, seed and tier policies. */
export function renderMetricsCsv(summary: RunSummary): string {
  const labels = [summary.scenario, summary.seed, summary.tiers.gpu.policy, summary.tiers.dram.policy, summary.tiers.ssd.policy];
  const rows = flattenSummary(summary)
    .filter(([, value]) => typeof value === 'number' || typeof value === 'boolean' || value === null)
    .map(([metric, value]) => [...labels, metric, csvValue(value as number | boolean | null)]);
  return stringify(rows, { header: true, columns: ['scenario', 'seed', 'gpu_policy', 'dram_policy', 'ssd_policy', 'metric', 'value'] });
}

// A metric as metrics.csv writes it: empty for null, true or false for a boolean.
function csvValue(value: number | boolean | null): string | number {
  if (value === null) return '';
  if (typeof value === 'boolean') return String(value);
  return value;
}

function formatMs(value: number | null): string {
  if (value === null) return 'n/a';
  if (value >= 100) return value.toFixed(0);
  return value.toFixed(value >= 1 ? 1 : 3);
}

function formatPercent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

function formatGB(bytes: number): string {
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

/** Renders report.md, a human-readable page of the main results. */
export function renderReport(summary: RunSummary): string {
  const { hitRate, ttftMs, tpotMs, e2eMs } = summary;
  const tierRow = (name: 'gpu' | 'dram' | 'ssd') => {
    const tier = summary.tiers[name];
    return `| ${name} | ${formatGB(tier.capacityBytes)} | ${tier.policy} | ${formatPercent(hitRate.tokens[name])} | ${formatPercent(hitRate.blocks[name])} | ${formatPercent(hitRate.requests[name])} | ${formatGB(tier.bytesWritten)} | ${tier.evictions} |`;
  };
  const latencyRow = (name: string, latency: RunSummary['ttftMs']) =>
    `| ${name} | ${formatMs(latency.p50)} | ${formatMs(latency.p90)} | ${formatMs(latency.p99)} | ${formatMs(latency.p999)} | ${formatMs(latency.max)} |`;
  return [
    `# kvtier run: ${summary.scenario}`,
    '',
    `kvtier ${summary.kvtierVersion}, seed ${summary.seed}. ${summary.requests.completed} of ${summary.requests.arrived} requests completed ` +
      `in ${summary.simulatedSeconds.toFixed(1)} s of simulated time (${summary.events} events).`,
    '',
    ...(summary.partial
      ? ['**Partial run:** it was stopped (Ctrl-C) before its workload ended, so every figure covers the simulated time up to the stop.', '']
      : []),
    '## Hits by tier',
    '',
    'Shares of prompt tokens, prompt blocks and requests served from each tier (requests: by the slowest tier their used prefix came from).',
    '',
    '| tier | capacity | policy | tokens | blocks | requests | written | evictions |',
    '|---|---|---|---|---|---|---|---|',
    tierRow('gpu'),
    tierRow('dram'),
    tierRow('ssd'),
    `| total | | | ${formatPercent(hitRate.tokens.total)} | ${formatPercent(hitRate.blocks.total)} | ${formatPercent(hitRate.requests.total)} | | |`,
    '',
    `Present but unused: ${summary.present.unusedBlocks} blocks (${summary.present.recomputedByLoadRule} of them recomputed because loading was slower).`,
    '',
    '## Latency (ms)',
    '',
    '| metric | p50 | p90 | p99 | p99.9 | max |',
    '|---|---|---|---|---|---|',
    latencyRow('TTFT', ttftMs),
    latencyRow('TPOT', tpotMs),
    latencyRow('end to end', e2eMs),
    '',
    `SLO attainment: ${formatPercent(summary.slo.ttftAttainment)} of requests within TTFT ${summary.slo.ttftTargetMs} ms, ` +
      `${formatPercent(summary.slo.tpotAttainment)} within TPOT ${summary.slo.tpotTargetMs} ms, ${formatPercent(summary.slo.attainment)} within both.`,
    '',
    '## TTFT breakdown',
    '',
    'TTFT = queueing + loading + waiting for the GPU + compute, for each request. Means and percentiles of each part (ms):',
    '',
    '| part | mean | p50 | p90 | p99 | max |',
    '|---|---|---|---|---|---|',
    ...TTFT_PARTS.map((part) => {
      const stats = summary.ttftPartsMs[part];
      return `| ${part} | ${formatMs(stats.mean)} | ${formatMs(stats.p50)} | ${formatMs(stats.p90)} | ${formatMs(stats.p99)} | ${formatMs(stats.max)} |`;
    }),
    '',
    'TTFT by where the prefix came from (ms):',
    '',
    '| source | requests | mean | p50 | p90 | p99 | max |',
    '|---|---|---|---|---|---|---|',
    ...TTFT_SOURCES.map((source) => {
      const stats = summary.ttftBySource[source];
      return `| ${SOURCE_LABELS[source]} | ${stats.requests} | ${formatMs(stats.mean)} | ${formatMs(stats.p50)} | ${formatMs(stats.p90)} | ${formatMs(stats.p99)} | ${formatMs(stats.max)} |`;
    }),
    '',
    '## SSD and GPU',
    '',
    `SSD: ${formatGB(summary.ssd.bytesWritten)} written, ${formatGB(summary.ssd.bytesRead)} read. ` +
      `DRAM: ${formatGB(summary.dram.bytesWritten)} written, ${formatGB(summary.dram.bytesRead)} read.`,
    '',
    `GPU busy ${formatPercent(summary.gpu.busyFraction)} of the time over ${summary.gpu.steps} steps; ` +
      `${summary.gpu.prefillTokens} tokens prefilled, ${summary.gpu.decodeTokens} decoded after the first; longest queue ${summary.gpu.maxQueueLength}.`,
    '',
    'Metric definitions: docs/metrics.md in the kvtier repository.',
    '',
  ].join('\n');
}

/** Creates `dir` if needed and writes the run's files into it. */
export function writeRunFolder(dir: string, content: RunFolderContent): string[] {
  mkdirSync(dir, { recursive: true });
  const files: [string, string][] = [
    ['config.json', toJson(content.config)],
    ['summary.json', toJson(content.summary)],
    ['metrics.csv', renderMetricsCsv(content.summary)],
    ['report.md', renderReport(content.summary)],
  ];
  if (content.timeSeriesCsv !== undefined) files.push(['timeseries.csv', content.timeSeriesCsv]);
  for (const [name, text] of files) writeFileAtomic(join(dir, name), text);
  return files.map(([name]) => join(dir, name));
}
