// `kvtier cachesim`: object-trace mode. Replays a CSV (`time,obj_id,obj_size`) or Mooncake JSONL
// trace against each policy at each cache size, with libCacheSim's semantics, and prints requests,
// misses and byte misses per run. Argument checking is a pure function (`resolveCachesimArgs`),
// tested in-process; the handler reads the trace, runs the replays and prints. The resolved
// configuration and a closing speed line go to stderr, the results to stdout.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { Argv, CommandModule } from 'yargs';
import { parsePolicySpec, type PolicySpec } from '../policies/registry.js';
import {
  parseCacheSize,
  readObjectTrace,
  simulateObjectTrace,
  CachesimInputError,
  type CacheSimResult,
  type ObjectTrace,
  type ObjectTraceFormat,
} from '../sim/cachesim.js';
import { logSpacedSizes, renderMissRatioCsv, renderMissRatioSvg } from '../results/miss-ratio-curve.js';
import { writeFileAtomic } from '../results/run-folder.js';
import { resolvePolicyModuleSpec } from '../policies/user-policy.js';

export const CACHESIM_FORMATS = ['table', 'csv', 'json'] as const;
export type CachesimFormat = (typeof CACHESIM_FORMATS)[number];
export const TRACE_FORMATS = ['csv', 'mooncake'] as const satisfies readonly ObjectTraceFormat[];

/** The CSV header of `--format csv`, one column per field of a result row. */
export const CACHESIM_CSV_COLUMNS = [
  'policy',
  'cache_size',
  'requests',
  'misses',
  'miss_ratio',
  'bytes_requested',
  'bytes_missed',
  'byte_miss_ratio',
] as const;

export interface CachesimArgs {
  trace: string;
  policies: string;
  sizes: string;
  ignoreSize: boolean;
  format: string;
  traceFormat: string;
  /** Number of log-spaced sizes for a miss-ratio curve, or undefined for `sizes`. */
  mrc?: number;
  out: string;
}

/** Arguments checked and parsed; cache sizes stay text until the trace's working set is known. */
export interface CachesimPlan {
  tracePath: string;
  traceFormat: ObjectTraceFormat;
  ignoreSize: boolean;
  format: CachesimFormat;
  policies: PolicySpec[];
  sizes: string[];
  /** Points of the miss-ratio curve, or 0 when `sizes` applies. */
  mrcPoints: number;
  /** Folder for the miss-ratio curve's CSV and SVG. */
  outDir: string;
}

/** Checks every argument before any file is read. Throws an error with code ERR_KVTIER_INPUT. */
export function resolveCachesimArgs(args: CachesimArgs): CachesimPlan {
  if (!CACHESIM_FORMATS.includes(args.format as CachesimFormat)) {
    throw new CachesimInputError(`invalid --format "${args.format}": expected one of ${CACHESIM_FORMATS.join(', ')}`);
  }
  if (!TRACE_FORMATS.includes(args.traceFormat as ObjectTraceFormat)) {
    throw new CachesimInputError(`invalid --trace-format "${args.traceFormat}": expected one of ${TRACE_FORMATS.join(', ')}`);
  }
  const policies = splitTopLevel(args.policies).map((text) => parsePolicySpec(text));
  if (policies.length === 0) throw new CachesimInputError('missing --policies: name at least one policy, for example --policies lru,s3fifo');
  const sizes = String(args.sizes)
    .split(',')
    .map((size) => size.trim());
  if (sizes.some((size) => size === '')) {
    throw new CachesimInputError(`invalid --sizes "${args.sizes}": expected sizes separated by commas, such as 1%,5%,20% or 1000`);
  }
  const mrcPoints = args.mrc ?? 0;
  if (args.mrc !== undefined && (!Number.isSafeInteger(args.mrc) || args.mrc < 2)) {
    throw new CachesimInputError(`invalid --mrc ${args.mrc}: expected a whole number of sizes, at least 2`);
  }
  return {
    tracePath: args.trace,
    traceFormat: args.traceFormat as ObjectTraceFormat,
    ignoreSize: args.ignoreSize,
    format: args.format as CachesimFormat,
    policies,
    sizes,
    mrcPoints,
    outDir: args.out,
  };
}

/** Splits a policy list on commas outside parentheses: `s3fifo(small=0.2,ghost=0.9),lru`. */
export function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (character === '(') depth++;
    else if (character === ')') depth--;
    else if (character === ',' && depth === 0) {
      parts.push(text.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

/**
 * Loads the policy modules named in a `--policies` list (`./my-policy.js`, `./p.ts(k=1)`),
 * registering each policy, and returns the list with every path replaced by its policy's name.
 */
export async function loadPolicyModules(policies: string): Promise<string> {
  const resolved: string[] = [];
  for (const text of splitTopLevel(policies)) resolved.push(await resolvePolicyModuleSpec(text));
  return resolved.join(',');
}

/** Runs every policy at every size of `plan` on `trace`, both in the order given. */
export function runCachesim(plan: CachesimPlan, trace: ObjectTrace): CacheSimResult[] {
  const workingSet = plan.ignoreSize ? trace.objectCount : trace.workingSetSize;
  const capacities =
    plan.mrcPoints > 0 ? logSpacedSizes(workingSet, plan.mrcPoints) : plan.sizes.map((size) => parseCacheSize(size, trace, plan.ignoreSize));
  const results: CacheSimResult[] = [];
  for (const policy of plan.policies) {
    for (const capacity of capacities) results.push(simulateObjectTrace(trace, policy, capacity));
  }
  return results;
}

/** Renders results as an aligned table, CSV with `CACHESIM_CSV_COLUMNS`, or JSON. */
export function renderCachesimResults(results: readonly CacheSimResult[], format: CachesimFormat): string {
  const rows = results.map((result) => ({
    policy: result.policy,
    cache_size: result.cacheSize,
    requests: result.requests,
    misses: result.misses,
    miss_ratio: ratio(result.misses, result.requests),
    bytes_requested: result.bytesRequested,
    bytes_missed: result.bytesMissed,
    byte_miss_ratio: ratio(result.bytesMissed, result.bytesRequested),
  }));
  if (format === 'json') return `${JSON.stringify(rows, null, 2)}\n`;
  if (format === 'csv') return stringify(rows, { header: true, columns: [...CACHESIM_CSV_COLUMNS] });

  const cells = [
    [...CACHESIM_CSV_COLUMNS],
    ...rows.map((row) => CACHESIM_CSV_COLUMNS.map((column) => formatCell(row[column]))),
  ];
  const widths = CACHESIM_CSV_COLUMNS.map((_, column) => Math.max(...cells.map((line) => line[column].length)));
  return cells
    .map((line) => line.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  '))
    .join('\n')
    .concat('\n');
}

function ratio(part: number, whole: number): number {
  return whole === 0 ? 0 : part / whole;
}

function formatCell(value: string | number): string {
  if (typeof value === 'string') return value;
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}

export const cachesimCommand: CommandModule<object, CachesimArgs> = {
  command: 'cachesim',
  describe: 'Replay an object trace against eviction policies (libCacheSim-compatible miss counts)',
  builder: (yargs: Argv) =>
    yargs
      .option('trace', { type: 'string', demandOption: true, describe: 'trace file: CSV time,obj_id,obj_size (header optional) or Mooncake JSONL' })
      .option('policies', {
        type: 'string',
        alias: 'policy',
        default: 'lru',
        describe: 'policies separated by commas, each name, name(key=value,...), or a policy module file such as ./my-policy.js (also .ts); see kvtier policies',
      })
      .option('sizes', {
        type: 'string',
        default: '1%,5%,20%',
        describe: 'cache sizes separated by commas: N% of the working set (distinct objects, or bytes with sizes) or a count in objects or bytes',
      })
      .option('ignore-size', { type: 'boolean', default: false, describe: 'count every request as size 1, so sizes are in objects' })
      .option('format', { type: 'string', choices: CACHESIM_FORMATS, default: 'table', describe: 'output format' })
      .option('mrc', {
        type: 'number',
        describe: 'instead of --sizes, run this many sizes log-spaced from 0.1% to 100% of the working set and write mrc.csv and mrc.svg into --out',
      })
      .option('out', { type: 'string', default: 'cachesim-mrc', describe: 'folder for the --mrc files' })
      .option('trace-format', { type: 'string', choices: TRACE_FORMATS, default: 'csv', describe: 'trace file format; mooncake makes one request of 512 tokens per hash_ids entry' }) as unknown as Argv<CachesimArgs>,
  handler: async (args) => {
    const plan = resolveCachesimArgs({ ...args, policies: await loadPolicyModules(args.policies) });
    const startedAt = performance.now();
    const trace = readObjectTrace(plan.tracePath, { format: plan.traceFormat, ignoreSize: plan.ignoreSize });
    let unit = plan.traceFormat === 'mooncake' ? 'tokens' : 'bytes';
    if (plan.ignoreSize) unit = 'objects';
    process.stderr.write(
      `cachesim: ${plan.tracePath}: ${trace.requestCount} requests, ${trace.objectCount} objects, ` +
        `working set ${plan.ignoreSize ? trace.objectCount : trace.workingSetSize} ${unit}; ` +
        `policies ${plan.policies.map((policy) => policy.label).join(' ')}; ` +
        (plan.mrcPoints > 0 ? `${plan.mrcPoints} log-spaced sizes\n` : `sizes ${plan.sizes.join(',')}\n`),
    );
    const results = runCachesim(plan, trace);
    process.stdout.write(renderCachesimResults(results, plan.format));
    if (plan.mrcPoints > 0) {
      mkdirSync(plan.outDir, { recursive: true });
      writeFileAtomic(join(plan.outDir, 'mrc.csv'), renderMissRatioCsv(results));
      writeFileAtomic(join(plan.outDir, 'mrc.svg'), renderMissRatioSvg(results, unit));
      process.stderr.write(`cachesim: wrote ${join(plan.outDir, 'mrc.csv')} and ${join(plan.outDir, 'mrc.svg')}\n`);
    }
    const seconds = (performance.now() - startedAt) / 1000;
    const replayed = trace.requestCount * results.length;
    process.stderr.write(`cachesim: ${results.length} runs, ${replayed} requests replayed in ${seconds.toFixed(2)} s (${(replayed / seconds / 1e6).toFixed(2)} M requests/s)\n`);
  },
};
