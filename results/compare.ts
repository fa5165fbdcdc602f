// Comparison of a candidate's results with a baseline's, for CI on policy changes.
//
// Both sides are loaded as observations, one per run, keyed by its seed and its cell. A cell is the
// values of every sweep axis but the seed, and empty for a lone run. A side is a run folder (summary.json and
// config.json), a sweep folder (sweep.json and runs/*.json), or a folder of run folders. Each metric
// of each cell is compared over the seeds both sides ran: the change is the mean of the per-seed
// differences (candidate - baseline). With two or more seeds it counts only when its 95% confidence
// interval, mean +- t(0.975, n - 1) x sd / sqrt(n), excludes zero. Then it is a regression or an
// improvement if it passes the metric's threshold in the worse or better direction.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { deviation, mean } from 'd3-array';
import { studentT975 } from './statistics.js';
import { flattenSummary } from './summary.js';

/** Unusable comparison input. The CLI exits with status 2 on errors whose `code` is ERR_KVTIER_INPUT. */
export class CompareInputError extends Error {
  readonly code = 'ERR_KVTIER_INPUT';

  constructor(message: string) {
    super(message);
    this.name = 'CompareInputError';
  }
}

/** Judgement rule of a metric: the better direction and the smallest change that counts. */
export interface Threshold {
  direction: 'higher' | 'lower';
  /** Smallest absolute change that counts, in the metric's unit. */
  absolute?: number;
  /** Smallest change relative to the baseline's mean that counts (0.05 = 5%). */
  relative?: number;
}

export const DEFAULT_THRESHOLDS: Readonly<Record<string, Threshold>> = {
  'hitRate.tokens.total': { direction: 'higher', absolute: 0.005 },
  'hitRate.blocks.total': { direction: 'higher', absolute: 0.005 },
  'ttftMs.p50': { direction: 'lower', relative: 0.05 },
  'ttftMs.p90': { direction: 'lower', relative: 0.05 },
  'ttftMs.p99': { direction: 'lower', relative: 0.05 },
  'tpotMs.p50': { direction: 'lower', relative: 0.05 },
  'tpotMs.p99': { direction: 'lower', relative: 0.05 },
  'e2eMs.p99': { direction: 'lower', relative: 0.05 },
  'ssd.bytesWritten': { direction: 'lower', relative: 0.05 },
};

/** One run's results: its cell, seed, scenario identity and numeric metrics. */
export interface Observation {
  cell: string;
  seed: number;
  /** The scenario without what a candidate may change (tier policies, version, seed), as JSON. */
  scenarioKey: string;
  metrics: Map<string, number>;
  /** Metrics present but null (not measurable in that run). */
  nullMetrics: Set<string>;
  /** The file the observation came from, for messages. */
  source: string;
}

export type Verdict = 'regressed' | 'improved' | 'unchanged' | 'not significant';

export interface MetricComparison {
  cell: string;
  metric: string;
  seeds: number;
  base: number;
  candidate: number;
  /** Mean of per-seed differences, candidate - base. */
  change: number;
  /** Change relative to the base mean; null when the base mean is 0. */
  relativeChange: number | null;
  /** 95% confidence interval of the change; null with fewer than two seeds. */
  ciLow: number | null;
  ciHigh: number | null;
  verdict: Verdict;
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CompareInputError(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CompareInputError(`${path} is not valid JSON (${(error as Error).message}): is the file complete?`);
  }
}

/** Strips what a candidate may change from a resolved scenario and returns the rest as JSON. */
export function scenarioIdentity(config: unknown): string {
  const copy = JSON.parse(JSON.stringify(config ?? {})) as Record<string, unknown>;
  delete copy.kvtierVersion;
  delete copy.seed;
  const tiers = copy.tiers as Record<string, Record<string, unknown>> | undefined;
  if (tiers !== undefined) for (const tier of Object.values(tiers)) delete tier.policy;
  return JSON.stringify(copy);
}

function summaryMetrics(summary: unknown, source: string): { metrics: Map<string, number>; nullMetrics: Set<string> } {
  if (typeof summary !== 'object' || summary === null || !('requests' in summary)) {
    throw new CompareInputError(`${source} is not a kvtier summary: the "requests" field is missing`);
  }
  const metrics = new Map<string, number>();
  const nullMetrics = new Set<string>();
  for (const [path, value] of flattenSummary(summary)) {
    if (typeof value === 'number' && path !== 'seed') metrics.set(path, value);
    else if (value === null) nullMetrics.add(path);
  }
  return { metrics, nullMetrics };
}

function observationOfRunFolder(dir: string, cell: string): Observation {
  const summaryPath = join(dir, 'summary.json');
  const configPath = join(dir, 'config.json');
  const summary = readJson(summaryPath) as { seed?: unknown };
  const config = existsSync(configPath) ? readJson(configPath) : undefined;
  return {
    cell,
    seed: typeof summary.seed === 'number' ? summary.seed : 0,
    scenarioKey: scenarioIdentity(config),
    ...summaryMetrics(summary, summaryPath),
    source: summaryPath,
  };
}

function observationsOfSweep(dir: string): Observation[] {
  const runsDir = join(dir, 'runs');
  if (!existsSync(runsDir)) throw new CompareInputError(`${dir} has sweep.json but no runs/ folder`);
  const files = readdirSync(runsDir).filter((name) => name.endsWith('.json')).sort();
  return files.map((name) => {
    const path = join(runsDir, name);
    const record = readJson(path) as { values?: Record<string, unknown>; config?: unknown; summary?: { seed?: unknown } };
    if (record.summary === undefined || record.values === undefined) {
      throw new CompareInputError(`${path} is not a sweep run record: "summary" or "values" is missing`);
    }
    const cellValues = Object.entries(record.values).filter(([key]) => key !== 'seed');
    const cell = cellValues.map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`).join(', ');
    return {
      cell,
      seed: typeof record.summary.seed === 'number' ? record.summary.seed : 0,
      scenarioKey: scenarioIdentity(record.config),
      ...summaryMetrics(record.summary, path),
      source: path,
    };
  });
}

/** Loads every observation of a run folder, a sweep folder, or a folder of run folders. */
export function loadObservations(path: string): Observation[] {
  if (!existsSync(path) || !statSync(path).isDirectory()) throw new CompareInputError(`${path} is not a folder of kvtier results`);
  if (existsSync(join(path, 'summary.json'))) return [observationOfRunFolder(path, '')];
  if (existsSync(join(path, 'sweep.json'))) return observationsOfSweep(path);
  const runs = readdirSync(path)
    .filter((name) => existsSync(join(path, name, 'summary.json')))
    .sort();
  if (runs.length === 0) {
    throw new CompareInputError(`${path} contains no kvtier results: expected summary.json, sweep.json, or run folders with summary.json`);
  }
  // Runs that differ only in seed share a cell; the cell is otherwise each run's scenario.
  return runs.map((name) => observationOfRunFolder(join(path, name), ''));
}

/** Reads a thresholds file: metric paths mapped to thresholds, or to null to ignore a default. */
export function readThresholds(path: string): Record<string, Threshold> {
  const parsed = readJson(path);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CompareInputError(`${path}: expected an object mapping metric paths to thresholds`);
  }
  const thresholds: Record<string, Threshold> = { ...DEFAULT_THRESHOLDS };
  for (const [metric, value] of Object.entries(parsed)) {
    if (value === null) {
      delete thresholds[metric];
      continue;
    }
    const threshold = value as Partial<Threshold>;
    if (threshold.direction !== 'higher' && threshold.direction !== 'lower') {
      throw new CompareInputError(`${path}: "${metric}".direction is ${JSON.stringify(threshold.direction)}: expected "higher" or "lower"`);
    }
    for (const key of ['absolute', 'relative'] as const) {
      const limit = threshold[key];
      if (limit !== undefined && (typeof limit !== 'number' || !(limit >= 0))) {
        throw new CompareInputError(`${path}: "${metric}".${key} is ${JSON.stringify(limit)}: expected a number >= 0`);
      }
    }
    thresholds[metric] = { direction: threshold.direction, absolute: threshold.absolute, relative: threshold.relative };
  }
  return thresholds;
}

function groupByCell(observations: Observation[]): Map<string, Map<number, Observation>> {
  const cells = new Map<string, Map<number, Observation>>();
  for (const observation of observations) {
    let seeds = cells.get(observation.cell);
    if (seeds === undefined) cells.set(observation.cell, (seeds = new Map()));
    if (seeds.has(observation.seed)) {
      throw new CompareInputError(`${observation.source} repeats seed ${observation.seed} of cell "${observation.cell || 'the run'}"`);
    }
    seeds.set(observation.seed, observation);
  }
  return cells;
}

// A change passes the threshold when it reaches either of its limits (absolute or relative); a
// threshold with neither limit counts every change.
function passesThreshold(change: number, baseMean: number, threshold: Threshold): boolean {
  const size = Math.abs(change);
  if (threshold.absolute === undefined && threshold.relative === undefined) return size > 0;
  if (threshold.absolute !== undefined && size >= threshold.absolute && size > 0) return true;
  if (threshold.relative !== undefined && baseMean !== 0 && size / Math.abs(baseMean) >= threshold.relative && size > 0) return true;
  return false;
}

/**
 * Compares every thresholded metric of every cell. Throws CompareInputError when the two sides
 * ran different scenarios, different cells or different seeds.
 */
export function compareObservations(base: Observation[], candidate: Observation[], thresholds: Readonly<Record<string, Threshold>>): MetricComparison[] {
  const baseCells = groupByCell(base);
  const candidateCells = groupByCell(candidate);
  for (const cell of baseCells.keys()) {
    if (!candidateCells.has(cell)) throw new CompareInputError(`the candidate has no results for cell "${cell || 'the run'}"`);
  }
  for (const cell of candidateCells.keys()) {
    if (!baseCells.has(cell)) throw new CompareInputError(`the baseline has no results for cell "${cell || 'the run'}"`);
  }

  const comparisons: MetricComparison[] = [];
  for (const [cell, baseSeeds] of baseCells) {
    const candidateSeeds = candidateCells.get(cell) as Map<number, Observation>;
    const seeds = [...baseSeeds.keys()].sort((a, b) => a - b);
    const missing = seeds.filter((seed) => !candidateSeeds.has(seed));
    if (missing.length > 0 || candidateSeeds.size !== baseSeeds.size) {
      throw new CompareInputError(
        `cell "${cell || 'the run'}": the baseline ran seeds ${seeds.join(', ')} and the candidate ${[...candidateSeeds.keys()].sort((a, b) => a - b).join(', ')}`,
      );
    }
    for (const seed of seeds) {
      const baseRun = baseSeeds.get(seed) as Observation;
      const candidateRun = candidateSeeds.get(seed) as Observation;
      if (baseRun.scenarioKey !== candidateRun.scenarioKey) {
        const key = firstDifference(JSON.parse(baseRun.scenarioKey), JSON.parse(candidateRun.scenarioKey), '');
        throw new CompareInputError(
          `${baseRun.source} and ${candidateRun.source} come from different scenarios (${key} differs; only tier policies may): compare runs of one scenario`,
        );
      }
    }

    for (const [metric, threshold] of Object.entries(thresholds)) {
      const baseValues: number[] = [];
      const differences: number[] = [];
      for (const seed of seeds) {
        const baseRun = baseSeeds.get(seed) as Observation;
        const candidateRun = candidateSeeds.get(seed) as Observation;
        const baseValue = baseRun.metrics.get(metric);
        const candidateValue = candidateRun.metrics.get(metric);
        // A metric may be null in a run that could not measure it (no request completed, say).
        if (baseValue === undefined && !baseRun.nullMetrics.has(metric)) throw missingMetric(baseRun, metric);
        if (candidateValue === undefined && !candidateRun.nullMetrics.has(metric)) throw missingMetric(candidateRun, metric);
        if (baseValue === undefined || candidateValue === undefined) continue;
        baseValues.push(baseValue);
        differences.push(candidateValue - baseValue);
      }
      if (differences.length === 0) continue;
      const baseMean = mean(baseValues) as number;
      const change = mean(differences) as number;
      let ciLow: number | null = null;
      let ciHigh: number | null = null;
      let significant = change !== 0;
      if (differences.length >= 2) {
        const halfWidth = (studentT975(differences.length - 1) * (deviation(differences) ?? 0)) / Math.sqrt(differences.length);
        ciLow = change - halfWidth;
        ciHigh = change + halfWidth;
        significant = ciLow > 0 || ciHigh < 0;
      }
      let verdict: Verdict = 'unchanged';
      if (passesThreshold(change, baseMean, threshold)) {
        const worse = threshold.direction === 'higher' ? change < 0 : change > 0;
        if (!significant) verdict = 'not significant';
        else verdict = worse ? 'regressed' : 'improved';
      }
      comparisons.push({
        cell,
        metric,
        seeds: differences.length,
        base: baseMean,
        candidate: baseMean + change,
        change,
        relativeChange: baseMean === 0 ? null : change / Math.abs(baseMean),
        ciLow,
        ciHigh,
        verdict,
      });
    }
  }
  return comparisons;
}

function missingMetric(observation: Observation, metric: string): CompareInputError {
  return new CompareInputError(`${observation.source} has no metric ${metric}: is the file complete, and is the metric's name right (docs/metrics.md)?`);
}

// Returns the dotted path of the first key where two JSON values differ.
function firstDifference(left: unknown, right: unknown, path: string): string {
  if (typeof left === 'object' && left !== null && typeof right === 'object' && right !== null && !Array.isArray(left)) {
    const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
    for (const key of keys) {
      const a = (left as Record<string, unknown>)[key];
      const b = (right as Record<string, unknown>)[key];
      if (JSON.stringify(a) !== JSON.stringify(b)) return firstDifference(a, b, path === '' ? key : `${path}.${key}`);
    }
  }
  return path === '' ? 'the scenario' : path;
}

function formatNumber(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6) return value.toExponential(3);
  if (magnitude >= 100) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(3);
  return value.toPrecision(4);
}

const VERDICT_MARKS: Record<Verdict, string> = {
  regressed: 'regressed',
  improved: 'improved',
  unchanged: 'unchanged',
  'not significant': 'not significant',
};

/** Renders the comparison as a Markdown table for a pull-request comment or GITHUB_STEP_SUMMARY. */
export function renderComparisonMarkdown(comparisons: MetricComparison[], title: string): string {
  const regressions = comparisons.filter((comparison) => comparison.verdict === 'regressed');
  const hasCells = comparisons.some((comparison) => comparison.cell !== '');
  const lines = [
    `## ${title}`,
    '',
    regressions.length === 0
      ? 'No regression.'
      : `${regressions.length} regression${regressions.length === 1 ? '' : 's'}: ${regressions.map((comparison) => `\`${comparison.metric}\`${hasCells ? ` (${comparison.cell})` : ''}`).join(', ')}.`,
    '',
    `| ${hasCells ? 'cell | ' : ''}metric | seeds | base | candidate | change | 95% CI | verdict |`,
    `|${hasCells ? '---|' : ''}---|---|---|---|---|---|---|`,
  ];
  for (const comparison of comparisons) {
    const relative = comparison.relativeChange === null ? '' : ` (${(comparison.relativeChange * 100).toFixed(1)}%)`;
    const interval = comparison.ciLow === null ? 'n/a' : `[${formatNumber(comparison.ciLow)}, ${formatNumber(comparison.ciHigh as number)}]`;
    lines.push(
      `| ${hasCells ? `${comparison.cell} | ` : ''}\`${comparison.metric}\` | ${comparison.seeds} | ${formatNumber(comparison.base)} | ${formatNumber(comparison.candidate)} | ` +
        `${comparison.change > 0 ? '+' : ''}${formatNumber(comparison.change)}${relative} | ${interval} | ${VERDICT_MARKS[comparison.verdict]} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Renders the comparison as JUnit XML: one test case per cell and metric, a failure per regression. */
export function renderComparisonJunit(comparisons: MetricComparison[], suiteName: string): string {
  const failures = comparisons.filter((comparison) => comparison.verdict === 'regressed').length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeXml(suiteName)}" tests="${comparisons.length}" failures="${failures}">`,
    `  <testsuite name="${escapeXml(suiteName)}" tests="${comparisons.length}" failures="${failures}">`,
  ];
  for (const comparison of comparisons) {
    const name = comparison.cell === '' ? comparison.metric : `${comparison.cell}: ${comparison.metric}`;
    const detail = `base ${formatNumber(comparison.base)}, candidate ${formatNumber(comparison.candidate)}, change ${formatNumber(comparison.change)}: ${comparison.verdict}`;
    if (comparison.verdict === 'regressed') {
      lines.push(`    <testcase classname="kvtier.compare" name="${escapeXml(name)}">`);
      lines.push(`      <failure message="${escapeXml(`${comparison.metric} regressed`)}">${escapeXml(detail)}</failure>`);
      lines.push('    </testcase>');
    } else {
      lines.push(`    <testcase classname="kvtier.compare" name="${escapeXml(name)}"><system-out>${escapeXml(detail)}</system-out></testcase>`);
    }
  }
  lines.push('  </testsuite>', '</testsuites>');
  return `${lines.join('\n')}\n`;
}
