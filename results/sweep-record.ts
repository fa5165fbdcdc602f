// The record of one run of a sweep, and the manifest of a sweep folder. A sweep folder contains
// `sweep.json` (the manifest) and one `runs/NNNN.json` per finished run. Reports are built from these
// files alone, so a folder written serially, on worker threads or merged from shards gives the same
// reports byte for byte.

import type { RunSummary } from './summary.js';

/** Quantile levels at which each run records its TTFT distribution: 0.01 to 0.99 by 0.01, 0.995 and 0.999. */
export const TTFT_QUANTILE_LEVELS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, index) => (index + 1) / 100),
  0.995,
  0.999,
]);

/** One axis of a sweep: the scenario keys it sets (dotted paths) and the values it takes. */
export interface SweepAxis {
  /** The axis as written in the sweep file: one dotted path, or several joined by `+`. */
  key: string;
  paths: string[][];
  values: unknown[];
}

/** The resolved definition of a sweep, written to `sweep.json` and compared on resume and merge. */
export interface SweepDefinition {
  name: string;
  /** The base scenario with every default applied. */
  base: unknown;
  axes: SweepAxis[];
  plots: { x: string | null; series: string | null };
}

export interface SweepManifest {
  kvtierVersion: string;
  runCount: number;
  cellCount: number;
  sweep: SweepDefinition;
  /** Shard of the folder's runs (index % count === shard index); present only in a shard's folder. */
  shard?: { index: number; count: number };
}

/** The content of one `runs/NNNN.json`. */
export interface SweepRunRecord {
  /** Position of the run in the sweep's expansion order. */
  index: number;
  /** The cell: the combination of every axis value except the seed's. */
  cell: number;
  /** The value of each axis for this run, keyed by axis key, as written in the sweep file. */
  values: Record<string, unknown>;
  /** The resolved scenario; `kvtier run --config` with it reproduces `summary` byte for byte. */
  config: unknown;
  summary: RunSummary;
  /** TTFT in ms at each of TTFT_QUANTILE_LEVELS; null when no request completed. */
  ttftQuantilesMs: (number | null)[];
}

/** Returns the file name of run `index` among `runCount` runs, zero-padded so names sort by index. */
export function runFileName(index: number, runCount: number): string {
  const width = Math.max(4, String(Math.max(runCount - 1, 0)).length);
  return `${String(index).padStart(width, '0')}.json`;
}
