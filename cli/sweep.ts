// `kvtier sweep`: run every combination of a sweep file's axes over a base scenario, on worker
// threads, and write the runs and the reports (tables, plots, report.html) into one folder.
//
// A sweep folder keeps one file per finished run, so an interrupted sweep, run again with the same
// file and folder, skips the runs already written. With --shard I/N (or a Slurm array or Kubernetes
// indexed Job index) only every N-th run is done, and `kvtier merge` joins the shards' folders.

import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { findFinishedRuns, openSweepFolder, readRunTexts, writeRunRecord } from '../results/sweep-folder.js';
import type { SweepManifest, SweepRunRecord } from '../results/sweep-record.js';
import { writeSweepReports } from '../results/sweep-report.js';
import { readSweepFile, selectShard, SweepError, type PlannedRun } from '../sim/sweep.js';
import { executeRuns } from '../sim/sweep-pool.js';
import { kvtierVersion } from './version.js';

export interface SweepArguments {
  config: string;
  out?: string;
  workers?: number;
  shard?: string;
  'shard-count'?: number;
  quiet?: boolean;
}

/** A share of a sweep's runs: those whose index modulo `count` is `index`. */
export interface Shard {
  index: number;
  count: number;
  /** Origin of the shard (the flag, a Slurm array or a Kubernetes Job), for messages. */
  source: string;
}

function parseInteger(text: string | undefined, name: string): number {
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isInteger(value) || value < 0) {
    throw new SweepError(`${name} is ${JSON.stringify(text ?? '')}: expected a non-negative integer`);
  }
  return value;
}

/**
 * Resolves the shard from --shard I/N (I counts from 0), else from a Slurm job array
 * (SLURM_ARRAY_TASK_ID relative to SLURM_ARRAY_TASK_MIN, in steps of SLURM_ARRAY_TASK_STEP, out of
 * SLURM_ARRAY_TASK_COUNT), else from a Kubernetes indexed Job (JOB_COMPLETION_INDEX out of
 * --shard-count). Without any of them the whole sweep is one shard.
 */
export function resolveShard(shard: string | undefined, shardCount: number | undefined, env: NodeJS.ProcessEnv): Shard {
  let index: number;
  let count: number;
  let source: string;
  if (shard !== undefined) {
    const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(shard);
    if (match === null) throw new SweepError(`--shard is "${shard}": expected I/N, such as 0/4 for the first of four shards`);
    index = Number(match[1]);
    count = Number(match[2]);
    source = '--shard';
  } else if (env.SLURM_ARRAY_TASK_ID !== undefined) {
    const id = parseInteger(env.SLURM_ARRAY_TASK_ID, 'SLURM_ARRAY_TASK_ID');
    const min = env.SLURM_ARRAY_TASK_MIN === undefined ? 0 : parseInteger(env.SLURM_ARRAY_TASK_MIN, 'SLURM_ARRAY_TASK_MIN');
    const step = env.SLURM_ARRAY_TASK_STEP === undefined ? 1 : parseInteger(env.SLURM_ARRAY_TASK_STEP, 'SLURM_ARRAY_TASK_STEP');
    if (env.SLURM_ARRAY_TASK_COUNT === undefined) throw new SweepError('SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not: pass --shard I/N');
    count = parseInteger(env.SLURM_ARRAY_TASK_COUNT, 'SLURM_ARRAY_TASK_COUNT');
    if (step === 0 || (id - min) % step !== 0) throw new SweepError(`SLURM_ARRAY_TASK_ID ${id} is not on the array's steps of ${step} from ${min}: pass --shard I/N`);
    index = (id - min) / step;
    source = 'the Slurm job array';
  } else if (env.JOB_COMPLETION_INDEX !== undefined) {
    index = parseInteger(env.JOB_COMPLETION_INDEX, 'JOB_COMPLETION_INDEX');
    if (shardCount === undefined) throw new SweepError('JOB_COMPLETION_INDEX is set: pass --shard-count N, the Job\'s completions');
    count = shardCount;
    source = 'the Kubernetes indexed Job';
  } else {
    return { index: 0, count: 1, source: 'none' };
  }
  if (!Number.isInteger(count) || count < 1 || index < 0 || index >= count) {
    throw new SweepError(`shard ${index}/${count} from ${source} is invalid: expected 0 <= I < N`);
  }
  return { index, count, source };
}

/** Loads cli-progress only when a bar is drawn. */
async function createProgressBar() {
  const { SingleBar } = await import('cli-progress');
  return new SingleBar({
    format: 'runs {bar} {value}/{total} | elapsed {duration_formatted} | ETA {eta_formatted}',
    stream: process.stderr,
    hideCursor: true,
  });
}

function formatSeconds(seconds: number): string {
  return seconds < 100 ? `${seconds.toFixed(1)} s` : `${Math.round(seconds)} s`;
}

/**
 * Runs `pending` and writes each record as it arrives, with a progress bar on stderr when
 * `showBar` is set and stderr is a terminal. Returns the events simulated and the wall time.
 */
async function runWithProgress(
  pending: readonly PlannedRun[],
  options: { workers: number; version: string; out: string; runCount: number; showBar: boolean },
): Promise<{ events: number; wallSeconds: number }> {
  // The bar is drawn only when stderr is a terminal, so logs and pipes stay clean.
  const bar = options.showBar && process.stderr.isTTY === true && pending.length > 0 ? await createProgressBar() : null;
  bar?.start(pending.length, 0);
  const startedAt = process.hrtime.bigint();
  let events = 0;
  try {
    await executeRuns(pending, {
      workers: options.workers,
      kvtierVersion: options.version,
      onRecord: (run, text) => {
        writeRunRecord(options.out, run.index, options.runCount, text);
        events += (JSON.parse(text) as SweepRunRecord).summary.events;
        bar?.increment();
      },
    });
  } finally {
    bar?.stop();
  }
  return { events, wallSeconds: Number(process.hrtime.bigint() - startedAt) / 1e9 };
}

async function handleSweep(args: SweepArguments): Promise<void> {
  const version = kvtierVersion();
  const workers = args.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 1) throw new SweepError(`--workers is ${workers}: expected a positive integer`);

  // Everything is validated before the first run: the sweep file, every run's scenario, the shard and the folder.
  const plan = readSweepFile(args.config, version);
  const shard = resolveShard(args.shard, args['shard-count'], process.env);
  const out = args.out ?? join('runs', 'sweeps', plan.definition.name);
  const runCount = plan.runs.length;
  const manifest: SweepManifest = {
    kvtierVersion: version,
    runCount,
    cellCount: plan.cellCount,
    sweep: plan.definition,
    ...(shard.count > 1 ? { shard: { index: shard.index, count: shard.count } } : {}),
  };
  openSweepFolder(out, manifest);
  const mine = shard.count > 1 ? selectShard(plan.runs, shard.index, shard.count) : plan.runs;
  const finished = findFinishedRuns(out, runCount, mine);
  const pending = mine.filter((run) => !finished.has(run.index));

  const quiet = args.quiet === true;
  const threads = Math.min(workers, Math.max(pending.length, 1));
  const shardText = shard.count > 1 ? ` (shard ${shard.index}/${shard.count} from ${shard.source}: ${mine.length} runs)` : '';
  if (!quiet) {
    process.stdout.write(
      `sweep ${plan.definition.name}: ${runCount} runs in ${plan.cellCount} cells${shardText}; ` +
        `${finished.size} already written in ${out}, ${pending.length} to run on ${threads} worker${threads === 1 ? '' : 's'}\n` +
        `axes: ${plan.definition.axes.map((axis) => `${axis.key} (${axis.values.length})`).join(' x ')}\n`,
    );
  }

  const { events, wallSeconds } = await runWithProgress(pending, { workers, version, out, runCount, showBar: !quiet });
  const speed = `${(events / 1e6).toFixed(1)} M events at ${(events / Math.max(wallSeconds, 1e-9) / 1e6).toFixed(2)} M events/s`;

  if (shard.count > 1) {
    process.stdout.write(
      `${pending.length} runs in ${formatSeconds(wallSeconds)} (${speed}) -> ${out}; join the shards with kvtier merge SHARD_DIR... --out DIR\n`,
    );
    return;
  }
  const files = writeSweepReports(out, manifest, readRunTexts(out, manifest));
  process.stdout.write(
    `${pending.length} runs in ${formatSeconds(wallSeconds)} (${speed}), ${finished.size} resumed; ${files.length} report files -> ${out}\n`,
  );
}

export const sweepCommand: CommandModule<object, SweepArguments> = {
  command: 'sweep',
  describe: 'Run every combination of a sweep file\'s axes on worker threads and write tables, plots and report.html',
  builder: (yargs: Argv<object>) =>
    yargs
      .option('config', { type: 'string', demandOption: true, describe: 'sweep file (JSON): a base scenario and the axes to vary' })
      .option('out', { type: 'string', describe: 'sweep folder to write; rerunning into it resumes [default: runs/sweeps/<sweep name>]' })
      .option('workers', { type: 'number', describe: `worker threads; 1 runs in the main thread [default: the number of cores, ${availableParallelism()} here]` })
      .option('shard', { type: 'string', describe: 'run only shard I of N (I from 0): runs whose index modulo N is I [default: from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX]' })
      .option('shard-count', { type: 'number', describe: 'number of shards N when the shard index comes from JOB_COMPLETION_INDEX (a Kubernetes indexed Job)' })
      .option('quiet', { type: 'boolean', describe: 'print only the final line' }) as Argv<SweepArguments>,
  handler: handleSweep,
};
