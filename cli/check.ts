// `kvtier check SUITE_DIR`: run every scenario file of a regression suite and compare each run's
// summary with its committed baseline (SUITE_DIR/baselines/<name>.summary.json). Any change fails
// (exit 1), because kvtier is deterministic: an intended change updates the baselines with
// --update-baseline in the same commit. Regressions by the default thresholds are named.

import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { CompareInputError, compareObservations, DEFAULT_THRESHOLDS, renderComparisonMarkdown, scenarioIdentity, type Observation } from '../results/compare.js';
import { toJson, writeFileAtomic } from '../results/run-folder.js';
import { buildSummary, flattenSummary, type RunSummary } from '../results/summary.js';
import { collectRunFacts, runScenario } from '../sim/run.js';
import { buildRunScenario } from './run.js';

export interface CheckArguments {
  suite: string;
  updateBaseline?: boolean;
}

export interface ScenarioCheck {
  name: string;
  /** Metrics whose value differs from the baseline. */
  changed: string[];
  /** Markdown table of the thresholded metrics, when something changed. */
  table: string;
  regressed: boolean;
}

// The version is left out so that a release does not change every baseline.
function summaryWithoutVersion(summary: RunSummary): Omit<RunSummary, 'kvtierVersion'> {
  const { kvtierVersion: _version, ...rest } = summary;
  return rest;
}

function observation(summary: object, source: string): Observation {
  const metrics = new Map<string, number>();
  const nullMetrics = new Set<string>();
  for (const [path, value] of flattenSummary(summary)) {
    if (typeof value === 'number') metrics.set(path, value);
    else if (value === null) nullMetrics.add(path);
  }
  return { cell: '', seed: 0, scenarioKey: scenarioIdentity({}), metrics, nullMetrics, source };
}

function readBaseline(path: string): object {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CompareInputError(`missing baseline ${path} (${(error as Error).message}): run kvtier check with --update-baseline to create it`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || !('requests' in parsed)) throw new Error('the "requests" field is missing');
    return parsed;
  } catch (error) {
    throw new CompareInputError(`baseline ${path} is not a valid kvtier summary: ${(error as Error).message}`);
  }
}

/** Lists the suite's scenario files, sorted. */
export function suiteScenarios(suite: string): string[] {
  if (!existsSync(suite)) throw new CompareInputError(`suite folder ${suite} not found`);
  const files = readdirSync(suite)
    .filter((name) => name.endsWith('.json'))
    .sort();
  if (files.length === 0) throw new CompareInputError(`suite folder ${suite} contains no scenario files (*.json)`);
  return files.map((name) => join(suite, name));
}

/** Runs one scenario file of a suite and compares it with (or writes) its baseline. */
export function checkScenario(file: string, baselineDir: string, update: boolean): ScenarioCheck {
  const name = basename(file, '.json');
  const result = runScenario(buildRunScenario({ config: file }));
  const summary = summaryWithoutVersion(buildSummary(collectRunFacts(result, 'baseline')));
  const baselinePath = join(baselineDir, `${name}.summary.json`);
  if (update) {
    mkdirSync(baselineDir, { recursive: true });
    writeFileAtomic(baselinePath, toJson(summary));
    return { name, changed: [], table: '', regressed: false };
  }
  const baseline = readBaseline(baselinePath);
  const baselineRows = new Map(flattenSummary(baseline));
  const runRows = new Map(flattenSummary(summary));
  const changed = [...runRows].filter(([path, value]) => !Object.is(baselineRows.get(path), value)).map(([path]) => path);
  for (const path of baselineRows.keys()) if (!runRows.has(path)) changed.push(path);
  if (changed.length === 0) return { name, changed, table: '', regressed: false };
  const comparisons = compareObservations([observation(baseline, baselinePath)], [observation(summary, file)], DEFAULT_THRESHOLDS);
  return {
    name,
    changed,
    table:
      renderComparisonMarkdown(comparisons, `${name}: ${changed.length} ${changed.length === 1 ? 'metric' : 'metrics'} changed`) +
      `\nChanged: ${changed.slice(0, 20).map((path) => `\`${path}\``).join(', ')}${changed.length > 20 ? `, and ${changed.length - 20} more` : ''}.\n`,
    regressed: comparisons.some((comparison) => comparison.verdict === 'regressed'),
  };
}

export const checkCommand: CommandModule<object, CheckArguments> = {
  command: 'check <suite>',
  describe: 'Run a regression suite and compare every scenario with its baseline; exit 1 when any result changed',
  builder: (yargs: Argv<object>) =>
    yargs
      .positional('suite', { type: 'string', demandOption: true, describe: 'folder of scenario files (*.json) with baselines/ beside them' })
      .option('update-baseline', { type: 'boolean', default: false, describe: 'rewrite the baselines from this run (after an intended change)' }) as Argv<CheckArguments>,
  handler: (args) => {
    const baselineDir = join(args.suite, 'baselines');
    const update = args.updateBaseline === true;
    let changedCount = 0;
    let regressedCount = 0;
    const files = suiteScenarios(args.suite);
    for (const file of files) {
      const check = checkScenario(file, baselineDir, update);
      if (check.changed.length > 0) {
        changedCount++;
        if (check.regressed) regressedCount++;
        process.stdout.write(`${check.table}\n`);
      }
    }
    if (update) {
      process.stdout.write(`kvtier check: wrote ${files.length} baselines to ${baselineDir}\n`);
    } else if (changedCount === 0) {
      process.stdout.write(`kvtier check: ${files.length} scenarios match their baselines\n`);
    } else {
      process.stdout.write(
        `kvtier check: ${changedCount} of ${files.length} scenarios changed (${regressedCount} with regressions); ` +
          `if the change is intended, run kvtier check ${args.suite} --update-baseline and commit the baselines\n`,
      );
      process.exitCode = 1;
    }
  },
};
