// `kvtier run`: simulate one scenario and write its run folder.
//
// The scenario is the embedded default, merged with a scenario file (--config), then with flags.
// Each flag is one row of RUN_FLAGS, which names the scenario key it sets, so help text, parsing
// and the scenario schema agree. The default shown in help is the embedded default scenario's.

import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { buildSummary } from '../results/summary.js';
import { RequestCsvWriter } from '../results/request-log.js';
import { writeRunFolder } from '../results/run-folder.js';
import { DEFAULT_SCENARIO } from '../sim/default-scenario.js';
import { collectRunFacts, runScenarioInSlices, type RunResult } from '../sim/run.js';
import { mergeScenario, parseScenario, ScenarioError, type Scenario } from '../sim/scenario.js';
import { NS_PER_SEC } from '../sim/time.js';
import { KvtierTraceReader } from '../workloads/kvtier-trace.js';
import { detectTraceFormat, TRACE_FORMATS } from '../workloads/traces.js';
import { resolvePolicyModuleSpec } from '../policies/user-policy.js';
import { kvtierVersion } from './version.js';

/** A command-line flag that sets one or more scenario keys. */
export interface RunFlag {
  flag: string;
  type: 'string' | 'number' | 'boolean';
  /** Scenario keys the flag sets, as paths. */
  paths: readonly (readonly string[])[];
  /** Help text: the setting and its unit. */
  description: string;
}

export const RUN_FLAGS: readonly RunFlag[] = [
  { flag: 'name', type: 'string', paths: [['name']], description: 'scenario name, written to every output' },
  { flag: 'seed', type: 'number', paths: [['seed']], description: 'seed of every random draw (integer)' },
  { flag: 'model', type: 'string', paths: [['model', 'preset']], description: 'model preset (see kvtier kv-size --list)' },
  { flag: 'weight-bytes', type: 'number', paths: [['model', 'weightBytesPerParameter']], description: 'bytes per weight: 2 for BF16, 1 for FP8' },
  { flag: 'gpu', type: 'string', paths: [['gpu', 'preset']], description: 'GPU preset: h100 or h200' },
  { flag: 'tensor-parallel', type: 'number', paths: [['gpu', 'tensorParallel']], description: 'GPUs serving one model replica' },
  { flag: 'link', type: 'string', paths: [['link', 'preset']], description: 'host-to-GPU link preset' },
  { flag: 'gpu-cache', type: 'string', paths: [['tiers', 'gpu', 'capacity']], description: 'GPU cache tier capacity in bytes (64GiB, 16GB, auto)' },
  { flag: 'dram', type: 'string', paths: [['tiers', 'dram', 'capacity']], description: 'host DRAM tier capacity in bytes; 0 disables the tier' },
  { flag: 'ssd', type: 'string', paths: [['tiers', 'ssd', 'device']], description: 'NVMe SSD preset of the SSD tier, or a profile file (PROFILE.json) from kvtier calibrate' },
  { flag: 'ssd-capacity', type: 'string', paths: [['tiers', 'ssd', 'capacity']], description: "SSD tier capacity in bytes; auto is the drives' capacity; 0 disables the tier" },
  { flag: 'ssd-count', type: 'number', paths: [['tiers', 'ssd', 'count']], description: 'identical SSDs striped together' },
  {
    flag: 'policy',
    type: 'string',
    paths: [
      ['tiers', 'gpu', 'policy'],
      ['tiers', 'dram', 'policy'],
      ['tiers', 'ssd', 'policy'],
    ],
    description: 'eviction policy of every tier, as name, name(key=value,...), or a policy module file such as ./my-policy.js (also .ts)',
  },
  { flag: 'gpu-policy', type: 'string', paths: [['tiers', 'gpu', 'policy']], description: 'eviction policy of the GPU tier' },
  { flag: 'dram-policy', type: 'string', paths: [['tiers', 'dram', 'policy']], description: 'eviction policy of the DRAM tier' },
  { flag: 'ssd-policy', type: 'string', paths: [['tiers', 'ssd', 'policy']], description: 'eviction policy of the SSD tier' },
  { flag: 'dram-admission', type: 'string', paths: [['tiers', 'dram', 'admission']], description: 'blocks the DRAM tier takes from the GPU: always, after(n=N) offers, or multi-turn' },
  { flag: 'ssd-admission', type: 'string', paths: [['tiers', 'ssd', 'admission']], description: 'blocks the SSD tier takes from above: always, after(n=N) offers, or multi-turn' },
  {
    flag: 'write-mode',
    type: 'string',
    paths: [
      ['tiers', 'gpu', 'writeMode'],
      ['tiers', 'dram', 'writeMode'],
    ],
    description: 'write mode of the paths GPU to DRAM and DRAM to SSD: write-back, write-through or write-selective',
  },
  { flag: 'load-rule', type: 'string', paths: [['loadRule']], description: 'load a cached range (always), recompute it (never), or whichever finishes sooner (cheaper)' },
  { flag: 'max-batch', type: 'number', paths: [['scheduler', 'maxBatchRequests']], description: 'running requests at most' },
  { flag: 'chunk-tokens', type: 'number', paths: [['scheduler', 'chunkTokens']], description: 'chunked prefill: token budget per GPU step, 0 for whole prompts' },
  { flag: 'overlap', type: 'string', paths: [['overlap']], description: 'overlap loads with prefill layer by layer (layerwise) or not (none)' },
  { flag: 'gpu-direct', type: 'boolean', paths: [['tiers', 'ssd', 'gpuDirect']], description: 'SSD loads go straight to GPU memory, skipping the host link' },
  { flag: 'slo-ttft-ms', type: 'number', paths: [['slo', 'ttftMs']], description: 'TTFT target for SLO attainment, in ms' },
  { flag: 'slo-tpot-ms', type: 'number', paths: [['slo', 'tpotMs']], description: 'TPOT target for SLO attainment, in ms' },
  { flag: 'time-series', type: 'boolean', paths: [['record', 'timeSeries']], description: 'write timeseries.csv, one row per simulated minute' },
  { flag: 'requests-csv', type: 'boolean', paths: [['record', 'requests']], description: 'write requests.csv, one row per completed request' },
  { flag: 'sessions', type: 'number', paths: [['workload', 'sessions']], description: 'synthetic workload: sessions to simulate' },
  { flag: 'replay', type: 'string', paths: [['workload', 'replay']], description: 'burstgpt and kvtier traces: open (rows at their timestamps) or closed (later turns at completion plus recorded think time)' },
];

export interface RunArguments {
  config?: string;
  workload?: string;
  trace?: string;
  format?: string;
  out?: string;
  quiet?: boolean;
  [flag: string]: unknown;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

// Returns " at line L, column C" for the character position that V8's JSON error gives, or ""
// when the message gives none.
function jsonErrorLocation(text: string): string {
  try {
    JSON.parse(text);
    return '';
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message);
    if (position === null) return '';
    const before = text.slice(0, Number(position[1]));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    return ` at line ${line}, column ${column}`;
  }
}

function readScenarioFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ScenarioError(`cannot read scenario file ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(`scenario file ${path} is not valid JSON${jsonErrorLocation(text)}: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** Reads a workload file (the JSON of a scenario's `workload` section, as `kvtier trace fit` writes it). */
function readWorkloadFile(path: string): Record<string, unknown> {
  const workload = readScenarioFile(path);
  if (typeof workload !== 'object' || workload === null || Array.isArray(workload)) {
    throw new ScenarioError(`workload file ${path} must hold a JSON object such as {"kind": "synthetic", ...}`);
  }
  const fields = { ...(workload as Record<string, unknown>) };
  // A trace path in a workload file is relative to that file's folder.
  if (typeof fields.path === 'string' && !isAbsolute(fields.path)) fields.path = resolve(path, '..', fields.path);
  return fields;
}

function kvtierTraceBlockTokens(path: string): number {
  const reader = new KvtierTraceReader(path);
  reader.close();
  return reader.blockTokens;
}

/**
 * Builds and validates the scenario of a `kvtier run` invocation: the embedded default, then the
 * --config file, then the flags. Pure apart from reading the scenario file.
 */
export function buildRunScenario(args: RunArguments): Scenario {
  let merged: unknown = DEFAULT_SCENARIO;
  let nameInFile = false;
  const sources = ['the default scenario'];
  if (args.config !== undefined) {
    const fromFile = readScenarioFile(args.config);
    if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) {
      throw new ScenarioError(`scenario file ${args.config} must contain a JSON object such as {"name": "my-run", "tiers": {...}}, not ${Array.isArray(fromFile) ? 'an array' : JSON.stringify(fromFile)}`);
    }
    nameInFile = typeof (fromFile as { name?: unknown } | null)?.name === 'string';
    // A trace path or an SSD profile file in a scenario file is relative to that file's folder.
    const scenarioFile = fromFile as { workload?: { path?: unknown }; tiers?: { ssd?: { device?: unknown } } } | null;
    const workload = scenarioFile?.workload;
    if (workload && typeof workload.path === 'string' && !isAbsolute(workload.path)) {
      workload.path = resolve(args.config, '..', workload.path);
    }
    const ssd = scenarioFile?.tiers?.ssd;
    if (ssd && typeof ssd.device === 'string' && ssd.device.endsWith('.json') && !isAbsolute(ssd.device)) {
      ssd.device = resolve(args.config, '..', ssd.device);
    }
    merged = mergeScenario(merged, fromFile);
    sources.push(args.config);
  }
  if (args.workload !== undefined) {
    if (args.trace !== undefined) throw new ScenarioError('--workload and --trace both set the workload: give one of them');
    // The file replaces the workload section whole, so no key of the default workload remains.
    merged = { ...(merged as Record<string, unknown>), workload: readWorkloadFile(args.workload) };
    sources.push(args.workload);
  }

  const overrides: Record<string, unknown> = {};
  for (const flag of RUN_FLAGS) {
    const value = args[flag.flag];
    if (value === undefined) continue;
    for (const path of flag.paths) setPath(overrides, path, value);
  }
  if (args.trace !== undefined) {
    // Without --format, the trace's first line determines its format.
    const format = args.format ?? detectTraceFormat(args.trace);
    // A trace run is named after its file unless a name was given, so it does not overwrite runs/default.
    if (args.name === undefined && !nameInFile) overrides.name = basename(args.trace).replace(/\.[^.]*$/, '');
    overrides.workload = { ...((overrides.workload as object) ?? {}), kind: format, path: args.trace };
    // A kvtier trace states its block size in its header.
    if (format === 'kvtier') (overrides.workload as Record<string, unknown>).blockTokens = kvtierTraceBlockTokens(args.trace);
    delete (overrides.workload as Record<string, unknown>).sessions;
  } else if (args.format !== undefined) {
    throw new ScenarioError('--format needs --trace FILE: the format names the trace file\'s format');
  }
  if (Object.keys(overrides).length > 0) {
    merged = mergeScenario(merged, overrides);
    sources.push('the command line');
  }
  return parseScenario(merged, sources.join(' + '));
}

const defaultScenario = parseScenario(DEFAULT_SCENARIO, 'the default scenario');

function defaultOf(path: readonly string[]): unknown {
  let node: unknown = defaultScenario;
  for (const key of path) node = (node as Record<string, unknown> | undefined)?.[key];
  return node;
}

function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

function describeScenario(result: Pick<RunResult, 'scenario' | 'resolved'>): string {
  const { scenario, resolved } = result;
  const tiers = resolved.tiers.map((tier) => {
    const capacity = `${tier.name === 'gpu' && resolved.dynamicGpuCache ? 'up to ' : ''}${(tier.capacity / 1e9).toFixed(1)} GB`;
    return `${tier.name} ${capacity} ${tier.policy.label}${tier.device ? ` on ${tier.device.name}` : ''}`;
  });
  const workload = scenario.workload.kind === 'synthetic' ? `synthetic, ${scenario.workload.sessions} sessions` : `${scenario.workload.kind} trace ${scenario.workload.path}`;
  return [
    `scenario ${scenario.name}, seed ${scenario.seed}`,
    `model ${resolved.model.name} (${formatCount(resolved.kvBytesPerToken)} KV bytes per token, ${resolved.blockTokens}-token blocks) on ${scenario.gpu.tensorParallel} x ${resolved.gpu.name}, link ${resolved.link.name}`,
    `tiers: ${tiers.join('; ')}; in-flight KV budget ${(resolved.inflightBudgetBytes / 1e9).toFixed(1)} GB${resolved.dynamicGpuCache ? ', shared with the GPU tier' : ''}`,
    `workload: ${workload}; load rule ${scenario.loadRule}`,
  ].join('\n');
}

function openRequestCsv(out: string): RequestCsvWriter {
  mkdirSync(out, { recursive: true });
  return new RequestCsvWriter(join(out, 'requests.csv'));
}

/**
 * Loads the policy modules that policy flags name (`--policy ./my-policy.js`), registering each
 * policy, and returns the arguments with every module path replaced by its policy's name, so that
 * the scenario validates against the registry.
 */
export async function loadPolicyModules(args: RunArguments): Promise<RunArguments> {
  const resolved: RunArguments = { ...args };
  for (const flag of RUN_FLAGS) {
    const value = args[flag.flag];
    const setsPolicy = flag.paths.every((path) => path[path.length - 1] === 'policy');
    if (setsPolicy && typeof value === 'string') resolved[flag.flag] = await resolvePolicyModuleSpec(value);
  }
  return resolved;
}

async function handleRun(args: RunArguments): Promise<void> {
  const scenario = buildRunScenario(await loadPolicyModules(args));
  const out = args.out ?? `runs/${scenario.name}`;
  const quiet = args.quiet === true;
  const showProgress = !quiet && process.stderr.isTTY === true;

  // Optional files of an earlier run in the same folder would be mistaken for this run's.
  if (!scenario.record.requests) rmSync(join(out, 'requests.csv'), { force: true });
  if (!scenario.record.timeSeries) rmSync(join(out, 'timeseries.csv'), { force: true });
  const requestCsv = scenario.record.requests ? openRequestCsv(out) : null;
  const startedAt = process.hrtime.bigint();
  // The first Ctrl-C stops the run after the current slice and writes what it has, marked partial;
  // a second one, until the run folder is written, removes the request log's temporary file and
  // exits at once.
  let interrupted = false;
  let requestCsvOpen = requestCsv !== null;
  const onInterrupt = () => {
    if (interrupted) {
      if (requestCsvOpen) requestCsv?.abort();
      process.exit(130);
    }
    interrupted = true;
    process.stderr.write('\nkvtier: interrupted; writing the results so far (Ctrl-C again to quit at once)\n');
  };
  process.on('SIGINT', onInterrupt);
  let result: RunResult & { partial: boolean };
  try {
    result = await runScenarioInSlices(
      scenario,
      {
        onProgress: showProgress ? (now) => process.stderr.write(`\rsimulated ${(now / NS_PER_SEC).toFixed(0)} s`) : undefined,
        requestLog: requestCsv === null ? undefined : (outcome) => requestCsv.write(outcome),
        // The scenario's description comes first, so that a long run shows what it simulates.
        onStart: quiet ? undefined : (run) => process.stdout.write(`${describeScenario(run)}\n`),
      },
      () => interrupted,
    );
  } catch (error) {
    requestCsv?.abort();
    process.off('SIGINT', onInterrupt);
    throw error;
  }
  requestCsv?.close();
  requestCsvOpen = false;
  const wallSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  if (showProgress) process.stderr.write('\r\x1b[K');

  const summary = buildSummary({ ...collectRunFacts(result, kvtierVersion()), partial: result.partial });
  // Parsed again so that kvtierVersion takes its place in the schema's key order, which a rerun
  // from config.json reproduces byte for byte.
  const config = parseScenario({ ...scenario, kvtierVersion: kvtierVersion() }, 'the resolved scenario');
  writeRunFolder(out, { config, summary, timeSeriesCsv: result.timeSeries?.toCsv() });
  process.off('SIGINT', onInterrupt);

  const events = result.recorder.events;
  const rate = events / Math.max(wallSeconds, 1e-9);
  const hit = summary.hitRate.tokens;
  const ttft = summary.ttftMs;
  process.stdout.write(
    `${result.partial ? 'partial run (interrupted): ' : ''}${formatCount(summary.requests.completed)} requests, token hit rate ${percent(hit.total)} ` +
      `(gpu ${percent(hit.gpu)}, dram ${percent(hit.dram)}, ssd ${percent(hit.ssd)}), ` +
      `TTFT p50 ${ttft.p50 === null ? 'n/a' : formatCount(ttft.p50)} ms p99 ${ttft.p99 === null ? 'n/a' : formatCount(ttft.p99)} ms, ` +
      `SSD ${(summary.ssd.bytesWritten / 1e9).toFixed(1)} GB written; ` +
      `${formatCount(events)} events in ${wallSeconds.toFixed(2)} s (${(rate / 1e6).toFixed(2)} M events/s) -> ${out}\n`,
  );
  if (result.partial) {
    process.stderr.write(`kvtier: the run was interrupted; ${out} contains partial results (summary.json has "partial": true)\n`);
    process.exitCode = 130;
  }
}

export const runCommand: CommandModule<object, RunArguments> = {
  command: 'run',
  describe: 'Simulate one scenario and write its run folder (config.json, summary.json, metrics.csv, report.md)',
  builder: (yargs: Argv<object>) => {
    let builder = yargs
      .option('config', { type: 'string', describe: 'scenario file (JSON), merged over the default scenario' })
      .option('workload', { type: 'string', describe: 'workload file (JSON of a workload section, as kvtier trace fit writes it), replacing the scenario\'s workload' })
      .option('trace', { type: 'string', describe: 'replay this trace file instead of the synthetic workload' })
      .option('format', { type: 'string', choices: [...TRACE_FORMATS], describe: 'format of --trace [default: read from the trace\'s first line]' })
      .option('out', { type: 'string', describe: 'run folder to write [default: runs/<scenario name>]' })
      .option('quiet', { type: 'boolean', describe: 'print only the summary line' });
    for (const flag of RUN_FLAGS) {
      const fallback = defaultOf(flag.paths[0]);
      const shown = fallback === undefined ? '' : ` [default: ${String(fallback)}]`;
      builder = builder.option(flag.flag, { type: flag.type, describe: `${flag.description}${shown}` });
    }
    return builder as Argv<RunArguments>;
  },
  handler: handleRun,
};
