// `kvtier trace`: statistics of a trace file (`stats`), synthetic traces written to a file
// (`generate`), and a synthetic workload fitted to a trace (`fit`).

import type { Argv, CommandModule } from 'yargs';

import { readFileSync } from 'node:fs';

import { fitWorkload, type FittedWorkload } from '../workloads/fit.js';
import { generateTrace } from '../workloads/generate.js';
import { TraceError } from '../workloads/line-reader.js';
import { getWorkloadPreset, WORKLOAD_PRESETS } from '../workloads/presets.js';
import { SyntheticWorkload, type SyntheticWorkloadInput } from '../workloads/synthetic.js';
import { collectTraceStats, computeTraceStats, type Summary, type TraceStats } from '../workloads/trace-stats.js';
import { AtomicTextFile, KvtierTraceWriter, MooncakeTraceWriter, type TraceWriter } from '../workloads/trace-writer.js';
import { detectTraceFormat, openTrace, recordsBlockIds, TRACE_FORMATS, type TraceFormat } from '../workloads/traces.js';

interface TraceFileArguments {
  file: string;
  format?: TraceFormat;
  'block-tokens'?: number;
  'session-gap'?: number;
  'skip-bad'?: boolean;
}

interface StatsArguments extends TraceFileArguments {
  json?: boolean;
}

function addTraceFileOptions<T>(yargs: Argv<T>): Argv<T & TraceFileArguments> {
  return yargs
    .positional('file', { type: 'string', demandOption: true, describe: 'trace file' })
    .option('format', { type: 'string', choices: TRACE_FORMATS, describe: 'trace format [default: detected from the first line]' })
    .option('block-tokens', {
      type: 'number',
      describe: 'tokens per block: the block size of a Mooncake trace [default: 512], or of the ids kvtier assigns to Azure and BurstGPT rows [default: 256]',
    })
    .option('session-gap', { type: 'number', describe: 'seconds without a request after which a session has ended [default: 86400]' })
    .option('skip-bad', { type: 'boolean', describe: 'skip lines that fail to parse and report how many, instead of stopping at the first' }) as Argv<T & TraceFileArguments>;
}

function openTraceFile(args: TraceFileArguments) {
  const format = args.format ?? detectTraceFormat(args.file);
  const blockTokens = args['block-tokens'];
  if (blockTokens !== undefined && (!Number.isSafeInteger(blockTokens) || blockTokens < 1)) {
    throw new TraceError(args.file, 0, undefined, `--block-tokens is ${blockTokens}, expected a positive integer`);
  }
  const sessionGapSec = args['session-gap'];
  if (sessionGapSec !== undefined && !(sessionGapSec > 0)) {
    throw new TraceError(args.file, 0, undefined, `--session-gap is ${sessionGapSec}, expected a positive number of seconds`);
  }
  const reader = openTrace(args.file, format, { blockTokens, sessionGapSec, skipBadLines: args['skip-bad'] === true });
  return { format, reader, sessionGapSec };
}

/** Computes the statistics of the trace that `args` names. */
export function traceStatsOf(args: TraceFileArguments): TraceStats {
  const { format, reader, sessionGapSec } = openTraceFile(args);
  return computeTraceStats(reader, { format, recordedBlockIds: recordsBlockIds(format), sessionGapSec });
}

function formatNumber(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function formatSummary(summary: Summary, digits = 0): string {
  const parts = (['p10', 'p50', 'p90', 'p99'] as const).map((key) => formatNumber(summary[key], digits));
  return `mean ${formatNumber(summary.mean, 1)}, p10/p50/p90/p99 ${parts.join(' / ')}, max ${formatNumber(summary.max, digits)}`;
}

/** Renders trace statistics as aligned text lines. */
export function renderTraceStats(stats: TraceStats): string {
  const rows: [string, string][] = [
    ['trace', `${stats.path} (${stats.format})`],
    ['requests', formatNumber(stats.requests)],
  ];
  if (stats.skippedLines > 0) rows.push(['skipped lines', formatNumber(stats.skippedLines)]);
  rows.push(
    ['time span', `${formatNumber(stats.spanSec, 1)} s`],
    ['request rate', `${formatNumber(stats.requestRatePerSec, 3)} requests/s, inter-arrival CV ${formatNumber(stats.interArrivalCv, 2)}`],
    ['input tokens', formatSummary(stats.inputTokens)],
    ['output tokens', formatSummary(stats.outputTokens)],
    ['block references', `${formatNumber(stats.blockReferences)} (${stats.blockTokens}-token blocks, ids ${stats.blockIds})`],
    ['unique blocks', formatNumber(stats.uniqueBlocks)],
    ['infinite-cache hit ratio', `${formatNumber(stats.infiniteCacheHitRatio * 100, 1)}% of block references`],
  );
  const sessions = stats.sessions;
  if (sessions === null) {
    rows.push(['sessions', 'none (the trace has no session ids and no block ids to infer them from)']);
  } else {
    rows.push(
      ['sessions', `${formatNumber(sessions.count)} (${sessions.source}), ${formatNumber(sessions.sessionRatePerSec, 4)} starts/s, start CV ${formatNumber(sessions.sessionInterArrivalCv, 2)}`],
      ['turns per session', formatSummary(sessions.turnsPerSession)],
      ['think time (s)', formatSummary(sessions.thinkTimeSec)],
    );
    if (sessions.negativeThinkTimes > 0) rows.push(['negative think times', `${formatNumber(sessions.negativeThinkTimes)} (counted as 0)`]);
  }
  const width = Math.max(...rows.map(([label]) => label.length));
  return `${rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n')}\n`;
}

const statsCommand: CommandModule<object, StatsArguments> = {
  command: 'stats <file>',
  describe: 'Print statistics of a trace: requests, rates, token percentiles, block reuse, sessions and think times',
  builder: (yargs: Argv<object>) =>
    addTraceFileOptions(yargs).option('json', { type: 'boolean', describe: 'print JSON instead of text' }) as Argv<StatsArguments>,
  handler: (args) => {
    const stats = traceStatsOf(args);
    process.stdout.write(args.json === true ? `${JSON.stringify(stats, null, 2)}\n` : renderTraceStats(stats));
    if (stats.skippedLines > 0 && args.json === true) process.stderr.write(`kvtier: skipped ${stats.skippedLines} invalid lines of ${stats.path}\n`);
  },
};

/** Invalid `trace generate` or `trace fit` arguments; the CLI exits with status 2. */
class TraceUsageError extends Error {
  readonly code = 'ERR_KVTIER_INPUT';
}

export const GENERATE_FORMATS = ['mooncake', 'kvtier'] as const;

export interface GenerateArguments {
  preset?: string;
  workload?: string;
  sessions?: number;
  seed?: number;
  out: string;
  format?: (typeof GENERATE_FORMATS)[number];
  'block-tokens'?: number;
  duration?: number;
}

/**
 * Resolves the synthetic configuration of a `trace generate` invocation: a preset or a workload
 * file, then the flags. Mooncake output uses 512-token blocks unless --block-tokens sets another size.
 */
export function generateConfigOf(args: GenerateArguments): SyntheticWorkloadInput {
  if ((args.preset === undefined) === (args.workload === undefined)) {
    throw new TraceUsageError(`give either --preset (${WORKLOAD_PRESETS.map((preset) => preset.name).join(', ')}) or --workload FILE`);
  }
  let config: SyntheticWorkloadInput & { kind?: string };
  if (args.preset !== undefined) {
    config = { ...getWorkloadPreset(args.preset).workload };
  } else {
    config = readJsonObject(args.workload!) as SyntheticWorkloadInput & { kind?: string };
    if (config.kind !== undefined && config.kind !== 'synthetic') {
      throw new TraceUsageError(`workload file ${args.workload} has kind "${config.kind}", expected a synthetic workload`);
    }
  }
  const { kind: _kind, ...input } = config;
  if (args.sessions !== undefined) input.sessions = args.sessions;
  if (args.duration !== undefined) input.durationSec = args.duration;
  if (args['block-tokens'] !== undefined) input.blockTokens = args['block-tokens'];
  else if ((args.format ?? 'mooncake') === 'mooncake') input.blockTokens = 512;
  return input;
}

function readJsonObject(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new TraceUsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TraceUsageError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TraceUsageError(`${path} must hold a JSON object`);
  return value as Record<string, unknown>;
}

/** Generates the trace that `args` describes into `args.out`; returns the request count. */
export function runGenerate(args: GenerateArguments): number {
  const workload = new SyntheticWorkload(generateConfigOf(args), args.seed ?? 1);
  const writer: TraceWriter =
    (args.format ?? 'mooncake') === 'mooncake'
      ? new MooncakeTraceWriter(args.out)
      : new KvtierTraceWriter(args.out, workload.blockTokens, { sessions: true });
  try {
    const requests = generateTrace(workload, writer);
    writer.close();
    return requests;
  } catch (error) {
    writer.abort();
    throw error;
  }
}

const generateCommand: CommandModule<object, GenerateArguments> = {
  command: 'generate',
  describe: 'Write a synthetic workload as a trace: Mooncake-compatible JSONL or kvtier JSONL',
  builder: (yargs: Argv<object>) =>
    yargs
      .option('preset', { type: 'string', choices: WORKLOAD_PRESETS.map((preset) => preset.name), describe: 'workload preset' })
      .option('workload', { type: 'string', describe: 'synthetic workload file (JSON), such as kvtier trace fit writes' })
      .option('sessions', { type: 'number', describe: 'sessions to generate [default: the preset\'s, 1000]' })
      .option('seed', { type: 'number', default: 1, describe: 'seed of every random draw (integer)' })
      .option('duration', { type: 'number', describe: 'seconds after which no session starts and no turn arrives' })
      .option('format', { type: 'string', choices: GENERATE_FORMATS, default: 'mooncake', describe: 'output format; mooncake drops sessions and uses 512-token blocks' })
      .option('block-tokens', { type: 'number', describe: 'tokens per block [default: 512 for mooncake, else the workload\'s]' })
      .option('out', { type: 'string', demandOption: true, describe: 'trace file to write' }) as unknown as Argv<GenerateArguments>,
  handler: (args) => {
    const requests = runGenerate(args);
    process.stdout.write(`${requests.toLocaleString('en-US')} requests -> ${args.out}\n`);
  },
};

interface FitArguments extends TraceFileArguments {
  out: string;
}

/** Fits the synthetic generator to the trace that `args` names. */
export function traceFitOf(args: TraceFileArguments): FittedWorkload {
  const { format, reader, sessionGapSec } = openTraceFile(args);
  const { stats, turns } = collectTraceStats(reader, { format, recordedBlockIds: recordsBlockIds(format), sessionGapSec });
  return fitWorkload(stats, turns);
}

/** Formats a workload as indented JSON with each array of numbers on one line. */
export function formatWorkloadJson(workload: object): string {
  return JSON.stringify(workload, null, 2).replace(/\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]/g, (_match, items: string) => `[${items.split(/,\s*/).join(', ')}]`);
}

const fitCommand: CommandModule<object, FitArguments> = {
  command: 'fit <file>',
  describe: 'Fit the synthetic generator to a trace and write a workload file that kvtier run --workload accepts',
  builder: (yargs: Argv<object>) =>
    addTraceFileOptions(yargs).option('out', { type: 'string', demandOption: true, describe: 'workload file (JSON) to write' }) as Argv<FitArguments>,
  handler: (args) => {
    const workload = traceFitOf(args);
    const file = new AtomicTextFile(args.out);
    file.write(`${formatWorkloadJson(workload)}\n`);
    file.close();
    process.stdout.write(
      `fitted ${args.file}: ${workload.sessionRatePerSec!.toPrecision(4)} sessions/s over ${workload.durationSec!.toFixed(0)} s -> ${args.out}\n`,
    );
  },
};

export const traceCommand: CommandModule<object, object> = {
  command: 'trace <command>',
  describe: 'Trace tools: stats, generate, fit',
  builder: (yargs: Argv<object>) =>
    yargs.command(statsCommand).command(generateCommand).command(fitCommand).demandCommand(1, 'Name a trace command: stats, generate or fit.'),
  handler: () => {},
};
