// `kvtier compare BASE CANDIDATE`: compare two run or sweep folders metric by metric and exit 0
// when nothing regressed, 1 on a regression, 2 on unusable input.

import type { Argv, CommandModule } from 'yargs';
import {
  compareObservations,
  DEFAULT_THRESHOLDS,
  loadObservations,
  readThresholds,
  renderComparisonJunit,
  renderComparisonMarkdown,
  type MetricComparison,
} from '../results/compare.js';
import { writeFileAtomic } from '../results/run-folder.js';

export interface CompareArguments {
  base: string;
  candidate: string;
  thresholds?: string;
  junit?: string;
  format?: 'markdown' | 'json';
}

/** Compares the two folders; returns the comparisons and the text to print. */
export function runCompare(args: CompareArguments): { comparisons: MetricComparison[]; output: string } {
  const thresholds = args.thresholds === undefined ? DEFAULT_THRESHOLDS : readThresholds(args.thresholds);
  const comparisons = compareObservations(loadObservations(args.base), loadObservations(args.candidate), thresholds);
  const output =
    args.format === 'json'
      ? `${JSON.stringify(comparisons, null, 2)}\n`
      : renderComparisonMarkdown(comparisons, `kvtier compare: ${args.candidate} against ${args.base}`);
  if (args.junit !== undefined) writeFileAtomic(args.junit, renderComparisonJunit(comparisons, 'kvtier compare'));
  return { comparisons, output };
}

export const compareCommand: CommandModule<object, CompareArguments> = {
  command: 'compare <base> <candidate>',
  describe: 'Compare a candidate run or sweep folder with a baseline; exit 1 on a regression, 2 on unusable input',
  builder: (yargs: Argv<object>) =>
    yargs
      .positional('base', { type: 'string', demandOption: true, describe: 'baseline: run folder, sweep folder, or folder of run folders' })
      .positional('candidate', { type: 'string', demandOption: true, describe: 'candidate, of the same scenario and seeds' })
      .option('thresholds', { type: 'string', describe: 'JSON file of per-metric thresholds, merged over the defaults (see docs/ci.md)' })
      .option('junit', { type: 'string', describe: 'also write JUnit XML to this file' })
      .option('format', { choices: ['markdown', 'json'] as const, default: 'markdown' as const, describe: 'output format' }) as Argv<CompareArguments>,
  handler: (args) => {
    const { comparisons, output } = runCompare(args);
    process.stdout.write(output);
    if (comparisons.some((comparison) => comparison.verdict === 'regressed')) process.exitCode = 1;
  },
};
