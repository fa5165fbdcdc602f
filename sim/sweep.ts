// A sweep: a base scenario and axes, each axis a scenario key (a dotted path such as
// `tiers.dram.capacity`) with a list of values. The sweep runs every combination of the axes'
// values, first axis outermost. A cell is a combination of every axis except `seed`, so the runs of
// a cell differ only in their seed and their results are aggregated over seeds.
//
// The whole sweep is validated here before any run starts: the file's keys, each axis, and every
// run's scenario including its presets and capacities. Running a planned run is `executeRun`,
// which the serial path and the worker threads share.

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { buildSummary } from '../results/summary.js';
import { TTFT_QUANTILE_LEVELS, type SweepAxis, type SweepDefinition, type SweepRunRecord } from '../results/sweep-record.js';
import { DEFAULT_SCENARIO } from './default-scenario.js';
import { collectRunFacts, resolveRun, runScenario } from './run.js';
import { mergeScenario, parseScenario, type Scenario } from './scenario.js';

/** Invalid sweep file. The CLI exits with status 2 on errors whose `code` is ERR_KVTIER_INPUT. */
export class SweepError extends Error {
  readonly code = 'ERR_KVTIER_INPUT';

  constructor(message: string) {
    super(message);
    this.name = 'SweepError';
  }
}

/** The axis whose values are replicates: runs that differ only in it form one cell. */
export const SEED_AXIS = 'seed';

const PATH_SEGMENT = /^[A-Za-z][A-Za-z0-9]*$/;

const sweepFileSchema = z.strictObject({
  name: z.string().min(1).default('sweep'),
  base: z.union([z.string().min(1), z.record(z.string(), z.unknown())], { error: 'expected a scenario object or the path of a scenario file' }).default({}),
  axes: z.record(z.string(), z.array(z.unknown(), { error: 'expected a list of values' }), { error: 'expected an object of axis key -> list of values' }),
  plots: z
    .strictObject({
      x: z.string().min(1).optional(),
      series: z.string().min(1).optional(),
    })
    .prefault({}),
});

/** One run of a sweep, planned and validated. */
export interface PlannedRun {
  index: number;
  cell: number;
  /** Axis key -> value, as written in the sweep file. */
  values: Record<string, unknown>;
  /** The validated scenario, with kvtierVersion set. */
  config: Scenario;
}

export interface SweepPlan {
  definition: SweepDefinition;
  runs: PlannedRun[];
  cellCount: number;
}

function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SweepError(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SweepError(`${what} ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Reads a sweep file and plans it with `planSweep`. */
export function readSweepFile(path: string, kvtierVersion: string): SweepPlan {
  return planSweep(readJsonFile(path, 'sweep file'), { source: path, folder: dirname(path), kvtierVersion });
}

export interface PlanOptions {
  /** Name of the sweep's origin (a file path), for error messages. */
  source: string;
  /** Folder against which a relative `base` file path and trace paths resolve. */
  folder: string;
  kvtierVersion: string;
}

/** Copies `scenario` with a relative `workload.path` made absolute against `folder`. */
function resolveTracePath(scenario: unknown, folder: string): unknown {
  const workload = (scenario as { workload?: { path?: unknown } } | null)?.workload;
  if (!workload || typeof workload.path !== 'string' || isAbsolute(workload.path)) return scenario;
  return mergeScenario(scenario, { workload: { ...workload, path: resolve(folder, workload.path) } });
}

function parseAxisKey(key: string, source: string): string[][] {
  const paths = key.split('+').map((path) => path.trim().split('.'));
  for (const path of paths) {
    if (!path.every((segment) => PATH_SEGMENT.test(segment))) {
      throw new SweepError(
        `invalid sweep in ${source}: axes.${key}: expected a scenario key as a dotted path such as tiers.dram.capacity, ` +
          'or several joined by +',
      );
    }
  }
  return paths;
}

/** Builds the object that sets each of `paths` to `value`. */
function overrideOf(paths: readonly string[][], value: unknown): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const path of paths) {
    let node = root;
    for (const segment of path.slice(0, -1)) {
      if (typeof node[segment] !== 'object' || node[segment] === null) node[segment] = {};
      node = node[segment] as Record<string, unknown>;
    }
    node[path[path.length - 1]] = value;
  }
  return root;
}

/** Parses `input` as a scenario and resolves its presets and capacities; rethrows input errors as SweepError. */
function validateScenario(input: unknown, source: string, description: string): Scenario {
  try {
    const scenario = parseScenario(input, description);
    resolveRun(scenario, scenario.workload.blockTokens);
    return scenario;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_KVTIER_INPUT') throw error;
    throw new SweepError(`invalid sweep in ${source}: ${(error as Error).message}`);
  }
}

function describeValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Validates a sweep (the parsed JSON of a sweep file) and expands it into runs. Throws SweepError,
 * naming the key, on an unknown key, an empty or duplicated axis value list, a plot setting that
 * names no axis, or any run whose scenario is invalid. Reads a `base` scenario file if one is named.
 */
export function planSweep(input: unknown, options: PlanOptions): SweepPlan {
  const { source, folder, kvtierVersion } = options;
  const parsed = sweepFileSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    throw new SweepError(`invalid sweep in ${source}:\n${lines.join('\n')}`);
  }
  const file = parsed.data;

  // The base: the default scenario named after the sweep, then the base file or object.
  let baseInput: unknown = mergeScenario(DEFAULT_SCENARIO, { name: file.name });
  if (typeof file.base === 'string') {
    const basePath = resolve(folder, file.base);
    baseInput = mergeScenario(baseInput, resolveTracePath(readJsonFile(basePath, 'base scenario file'), dirname(basePath)));
  } else {
    baseInput = mergeScenario(baseInput, resolveTracePath(file.base, folder));
  }
  const base = validateScenario(baseInput, source, 'the base scenario');

  const axisEntries = Object.entries(file.axes);
  if (axisEntries.length === 0) throw new SweepError(`invalid sweep in ${source}: axes: expected at least one axis`);
  const axes: SweepAxis[] = [];
  for (const [key, values] of axisEntries) {
    const paths = parseAxisKey(key, source);
    if (values.length === 0) throw new SweepError(`invalid sweep in ${source}: axes.${key}: the axis has no values; list at least one`);
    const seen = new Set<string>();
    for (const value of values) {
      const text = JSON.stringify(value);
      if (seen.has(text)) throw new SweepError(`invalid sweep in ${source}: axes.${key}: the value ${text} is listed twice`);
      seen.add(text);
    }
    axes.push({ key, paths, values });
  }

  const series = file.plots.series ?? axes.find((axis) => axis.key.includes('policy'))?.key ?? null;
  const candidates = axes.filter((axis) => axis.key !== SEED_AXIS && axis.key !== series);
  const x = file.plots.x ?? (candidates.find((axis) => axis.key.endsWith('capacity')) ?? candidates[0])?.key ?? null;
  const plots = { x, series };
  for (const [setting, key] of Object.entries(plots)) {
    if (key !== null && !axes.some((axis) => axis.key === key)) {
      throw new SweepError(`invalid sweep in ${source}: plots.${setting}: "${key}" is not an axis; expected one of ${axes.map((axis) => axis.key).join(', ')}`);
    }
    if (key === SEED_AXIS) throw new SweepError(`invalid sweep in ${source}: plots.${setting}: the seed axis is aggregated over and cannot be plotted`);
  }
  if (x !== null && x === series) {
    throw new SweepError(`invalid sweep in ${source}: plots.x and plots.series both name "${x}"; they must differ`);
  }

  const definition: SweepDefinition = { name: file.name, base, axes, plots };
  return { definition, ...expandRuns(definition, base, options) };
}

function expandRuns(definition: SweepDefinition, base: Scenario, options: PlanOptions): { runs: PlannedRun[]; cellCount: number } {
  const { source, folder, kvtierVersion } = options;
  const { axes } = definition;
  const runCount = axes.reduce((product, axis) => product * axis.values.length, 1);
  const cellAxes = axes.filter((axis) => axis.key !== SEED_AXIS);
  const cellCount = cellAxes.reduce((product, axis) => product * axis.values.length, 1);

  const runs: PlannedRun[] = [];
  for (let index = 0; index < runCount; index++) {
    // Mixed-radix digits of the run index, the last axis varying fastest.
    let remainder = index;
    const choice = new Array<number>(axes.length);
    for (let axis = axes.length - 1; axis >= 0; axis--) {
      choice[axis] = remainder % axes[axis].values.length;
      remainder = Math.floor(remainder / axes[axis].values.length);
    }
    let cell = 0;
    let scenario: unknown = base;
    const values: Record<string, unknown> = {};
    axes.forEach((axis, position) => {
      const value = axis.values[choice[position]];
      values[axis.key] = value;
      scenario = mergeScenario(scenario, overrideOf(axis.paths, value));
      if (axis.key !== SEED_AXIS) cell = cell * axis.values.length + choice[position];
    });
    const described = Object.entries(values)
      .map(([key, value]) => `${key} = ${describeValue(value)}`)
      .join(', ');
    // Each whole run is validated, not each axis value alone, because a value may be valid only
    // together with another axis's value (a large model with more tensor-parallel GPUs). A relative
    // trace path here comes from an axis value, because the base's is already absolute.
    const validated = validateScenario(resolveTracePath(scenario, folder), source, `run ${index} (${described})`);
    // Parsed again so that kvtierVersion takes its place in the schema's key order, as `kvtier run` writes it.
    const config = parseScenario({ ...validated, kvtierVersion }, 'the resolved scenario');
    runs.push({ index, cell, values, config });
  }
  return { runs, cellCount };
}

/** Selects the runs of shard `shardIndex` of `shardCount`: every run whose index is shardIndex modulo shardCount. */
export function selectShard(runs: readonly PlannedRun[], shardIndex: number, shardCount: number): PlannedRun[] {
  return runs.filter((run) => run.index % shardCount === shardIndex);
}

/** Runs one planned run and returns its record. Deterministic: the same run gives the same record. */
export function executeRun(run: PlannedRun, kvtierVersion: string): SweepRunRecord {
  const result = runScenario(run.config);
  const summary = buildSummary(collectRunFacts(result, kvtierVersion));
  const ttft = result.recorder.ttftNs;
  const ttftQuantilesMs = TTFT_QUANTILE_LEVELS.map((level) => (ttft.count === 0 ? null : ttft.quantile(level) / 1e6));
  return {
    index: run.index,
    cell: run.cell,
    values: run.values,
    config: run.config,
    summary,
    ttftQuantilesMs,
  };
}

/** Serialises a run record as its `runs/NNNN.json` file content. */
export function serializeRunRecord(record: SweepRunRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}
