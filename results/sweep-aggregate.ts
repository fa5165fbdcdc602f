// Aggregation of a sweep's runs into cells. Every numeric metric of the runs' summaries is reduced
// over the seeds of each cell to a mean, a standard deviation and a 95% confidence interval
// (statistics.ts gives the formula).

import { flattenSummary } from './summary.js';
import { summarizeValues, type MetricStatistics } from './statistics.js';
import { TTFT_QUANTILE_LEVELS, type SweepManifest, type SweepRunRecord } from './sweep-record.js';

/** One cell: a combination of the axes other than the seed, with its metrics aggregated over seeds. */
export interface CellResult {
  cell: number;
  /** Axis key -> value as written in the sweep file, for every axis but the seed. */
  values: Record<string, unknown>;
  /** Axis key -> the value of its (first) scenario key in the resolved scenario: sizes in bytes, for example. */
  settings: Record<string, unknown>;
  /** Eviction policy labels of the tiers, with their parameters. */
  policies: { gpu: string; dram: string; ssd: string };
  seeds: number[];
  /** Indices of the cell's runs. */
  runs: number[];
  metrics: Record<string, MetricStatistics>;
  /** Mean over seeds of each run's TTFT in ms at each of `ttftQuantileLevels`. */
  ttftQuantilesMs: (number | null)[];
}

export interface SweepResults {
  name: string;
  kvtierVersion: string;
  runCount: number;
  cellCount: number;
  axes: { key: string; values: unknown[] }[];
  plots: { x: string | null; series: string | null };
  ttftQuantileLevels: readonly number[];
  cells: CellResult[];
}

function valueAtPath(value: unknown, path: readonly string[]): unknown {
  let node = value;
  for (const key of path) node = (node as Record<string, unknown> | null | undefined)?.[key];
  return node;
}

/** Lists the numeric metrics of one run: its summary's numeric leaves, except the seed. */
function runMetrics(record: SweepRunRecord): [string, number | null][] {
  return flattenSummary(record.summary).filter(
    (entry): entry is [string, number | null] => entry[0] !== 'seed' && (typeof entry[1] === 'number' || entry[1] === null),
  );
}

/** Aggregates the records of a complete sweep (one per run, in index order) into cells. */
export function aggregateSweep(manifest: SweepManifest, records: readonly SweepRunRecord[]): SweepResults {
  const { sweep } = manifest;
  const cellAxes = sweep.axes.filter((axis) => axis.key !== 'seed');
  const byCell = new Map<number, SweepRunRecord[]>();
  for (const record of records) {
    const list = byCell.get(record.cell);
    if (list === undefined) byCell.set(record.cell, [record]);
    else list.push(record);
  }

  const cells: CellResult[] = [];
  for (const cell of [...byCell.keys()].sort((a, b) => a - b)) {
    const runs = byCell.get(cell) as SweepRunRecord[];
    const first = runs[0];
    const values: Record<string, unknown> = {};
    const settings: Record<string, unknown> = {};
    for (const axis of cellAxes) {
      values[axis.key] = first.values[axis.key];
      settings[axis.key] = valueAtPath(first.config, axis.paths[0]) ?? null;
    }

    const perRun = runs.map(runMetrics);
    const metrics: Record<string, MetricStatistics> = {};
    perRun[0].forEach(([path], position) => {
      metrics[path] = summarizeValues(perRun.map((entries) => entries[position][1]));
    });

    const ttftQuantilesMs = TTFT_QUANTILE_LEVELS.map((_, level) => summarizeValues(runs.map((run) => run.ttftQuantilesMs[level])).mean);
    const tiers = first.summary.tiers;
    cells.push({
      cell,
      values,
      settings,
      policies: { gpu: tiers.gpu.policy, dram: tiers.dram.policy, ssd: tiers.ssd.policy },
      seeds: runs.map((run) => run.summary.seed),
      runs: runs.map((run) => run.index),
      metrics,
      ttftQuantilesMs,
    });
  }

  return {
    name: sweep.name,
    kvtierVersion: manifest.kvtierVersion,
    runCount: manifest.runCount,
    cellCount: manifest.cellCount,
    axes: sweep.axes.map((axis) => ({ key: axis.key, values: axis.values })),
    plots: sweep.plots,
    ttftQuantileLevels: TTFT_QUANTILE_LEVELS,
    cells,
  };
}
