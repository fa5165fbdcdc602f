// Reader for fio's JSON output (`fio --output-format=json`, fio 3.x). Each job becomes one measured
// point: its options (rw, bs, iodepth, numjobs, rwmixread), and per direction the IOPS, bandwidth
// and completion-latency (clat) mean and percentiles. fio writes one entry per job process unless
// the job file sets group_reporting, so entries of one file with the same job name and group are
// summed into one point.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Invalid fio input: a file that is not fio JSON, or a job fio's JSON describes incompletely. */
export class FioInputError extends Error {
  readonly code = 'ERR_KVTIER_INPUT';

  constructor(message: string) {
    super(message);
    this.name = 'FioInputError';
  }
}

/** Measurements of one direction (read or write) of a job. */
export interface FioDirection {
  iops: number;
  bytesPerSec: number;
  /** Commands completed. */
  ios: number;
  /** Mean completion latency (submission to the device until completion), in nanoseconds. */
  clatMeanNs: number;
  /** Completion-latency percentiles in nanoseconds, keyed by percent (50, 99, 99.9, ...). */
  clatPercentilesNs: Map<number, number>;
  /** Lowest IOPS of fio's per-interval samples, or NaN when fio logged none. */
  iopsMin: number;
  /** Per-interval IOPS samples behind `iopsMin` (fewest over the job's processes). */
  iopsSamples: number;
}

/** One job of one fio output file, summed over its processes. */
export interface FioPoint {
  /** File the job came from, as it was given. */
  file: string;
  jobName: string;
  /** fio's rw option without any `:N` suffix: read, write, randread, randwrite, rw, readwrite or randrw. */
  rw: string;
  /** Command sizes in bytes; fio's `bs=R,W` may give the directions different sizes. */
  readBlockBytes: number;
  writeBlockBytes: number;
  iodepth: number;
  numjobs: number;
  /** Share of commands that are reads, in percent: 100 for pure reads, 0 for pure writes. */
  rwmixread: number;
  /** Time the job ran, in milliseconds. */
  runtimeMs: number;
  /** Unix time at which fio finished the file, in milliseconds; NaN when absent. */
  finishedAtMs: number;
  read: FioDirection | null;
  write: FioDirection | null;
}

const READ_ONLY = new Set(['read', 'randread']);
const WRITE_ONLY = new Set(['write', 'randwrite']);
const MIXED = new Set(['rw', 'readwrite', 'randrw']);

/** Returns whether a fio rw mode walks the file sequentially. */
export function isSequential(rw: string): boolean {
  return rw === 'read' || rw === 'write' || rw === 'rw' || rw === 'readwrite';
}

/** Total outstanding commands of a point: iodepth per process times processes. */
export function queueDepthOf(point: Pick<FioPoint, 'iodepth' | 'numjobs'>): number {
  return point.iodepth * point.numjobs;
}

/**
 * Reads fio JSON from files and folders (every `.json` file below a folder, in name order) and
 * returns one point per job. Throws FioInputError naming the file and what is missing.
 */
export function readFioResults(paths: readonly string[]): FioPoint[] {
  const points: FioPoint[] = [];
  for (const file of expandPaths(paths)) points.push(...parseFioJson(readText(file), file));
  return points;
}

function expandPaths(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let isFolder: boolean;
    try {
      isFolder = statSync(path).isDirectory();
    } catch (error) {
      throw new FioInputError(`cannot read fio results ${path}: ${(error as Error).message}`);
    }
    if (!isFolder) {
      files.push(path);
      continue;
    }
    const found = listJsonFiles(path);
    if (found.length === 0) throw new FioInputError(`folder ${path} contains no .json files of fio results`);
    files.push(...found);
  }
  return files;
}

function listJsonFiles(folder: string): string[] {
  const files: string[] = [];
  const entries = readdirSync(folder, { withFileTypes: true });
  // Code-unit order, the same on every machine, unlike a locale comparison.
  entries.sort((a, b) => {
    if (a.name === b.name) return 0;
    return a.name < b.name ? -1 : 1;
  });
  for (const entry of entries) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) files.push(...listJsonFiles(path));
    else if (entry.name.endsWith('.json')) files.push(path);
  }
  return files;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new FioInputError(`cannot read fio results ${file}: ${(error as Error).message}`);
  }
}

/** Parses the text of one fio JSON output; `file` names it in errors and in the points. */
export function parseFioJson(text: string, file: string): FioPoint[] {
  // fio prints warnings such as "fio: file hash not empty on exit" before the JSON when stdout is
  // captured, so parsing starts at the first brace.
  const start = text.indexOf('{');
  let document: unknown;
  try {
    if (start < 0) throw new Error('no JSON object in the file');
    document = JSON.parse(text.slice(start));
  } catch (error) {
    throw new FioInputError(`${file} is not fio JSON output (run fio with --output-format=json): ${(error as Error).message}`);
  }
  const root = asObject(document, file, 'the top level');
  const version = root['fio version'];
  if (typeof version !== 'string') throw new FioInputError(`${file} is not fio JSON output: missing "fio version"`);
  if (!/^fio-3\./.test(version)) throw new FioInputError(`${file} was written by ${version}: expected fio 3.x`);
  const jobs = root.jobs;
  if (!Array.isArray(jobs) || jobs.length === 0) throw new FioInputError(`${file} is not fio JSON output: missing "jobs" or it is empty`);
  const globalOptions = root['global options'] === undefined ? {} : asObject(root['global options'], file, '"global options"');
  const finishedAtMs = typeof root.timestamp_ms === 'number' ? root.timestamp_ms : Number.NaN;

  // Entries of one job (same name and group) are the processes of numjobs.
  const groups = new Map<string, Record<string, unknown>[]>();
  jobs.forEach((job, index) => {
    const entry = asObject(job, file, `jobs[${index}]`);
    const key = `${String(entry.jobname)}\u0000${String(entry.groupid)}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [entry]);
    else group.push(entry);
  });

  const points: FioPoint[] = [];
  for (const entries of groups.values()) points.push(sumJob(entries, globalOptions, file, finishedAtMs));
  return points;
}

function sumJob(entries: Record<string, unknown>[], globalOptions: Record<string, unknown>, file: string, finishedAtMs: number): FioPoint {
  const first = entries[0];
  const jobName = typeof first.jobname === 'string' ? first.jobname : '(unnamed)';
  const where = `job "${jobName}"`;
  const failed = entries.find((entry) => typeof entry.error === 'number' && entry.error !== 0);
  if (failed !== undefined) throw new FioInputError(`${file}: ${where} failed with fio error ${String(failed.error)}, so its figures are not measurements`);
  const options = { ...stringOptions(globalOptions), ...stringOptions(asObject(first['job options'] ?? {}, file, `${where} "job options"`)) };

  const rw = (options.rw ?? options.readwrite ?? 'read').split(':')[0];
  if (!READ_ONLY.has(rw) && !WRITE_ONLY.has(rw) && !MIXED.has(rw)) {
    throw new FioInputError(`${file}: ${where} has rw=${rw}: expected read, write, randread, randwrite, rw, readwrite or randrw`);
  }
  const [readBlockBytes, writeBlockBytes] = parseBlockSizes(options.bs ?? options.blocksize ?? '4k', file, where);
  const iodepth = parsePositiveInteger(options.iodepth ?? '1', file, `${where} iodepth`);
  // With group_reporting fio writes one entry for all processes; otherwise one per process.
  const numjobs = entries.length > 1 ? entries.length : parsePositiveInteger(options.numjobs ?? '1', file, `${where} numjobs`);
  let rwmixread = READ_ONLY.has(rw) ? 100 : WRITE_ONLY.has(rw) ? 0 : 50;
  if (MIXED.has(rw)) {
    if (options.rwmixread !== undefined) rwmixread = Number(options.rwmixread);
    else if (options.rwmixwrite !== undefined) rwmixread = 100 - Number(options.rwmixwrite);
    if (!(rwmixread >= 0 && rwmixread <= 100)) throw new FioInputError(`${file}: ${where} has an invalid rwmixread: expected 0 to 100`);
  }

  const runtimeMs = Math.max(...entries.map((entry) => (typeof entry.job_runtime === 'number' ? entry.job_runtime : 0)));
  const read = rwmixread > 0 ? sumDirection(entries, 'read', file, where) : null;
  const write = rwmixread < 100 ? sumDirection(entries, 'write', file, where) : null;
  return { file, jobName, rw, readBlockBytes, writeBlockBytes, iodepth, numjobs, rwmixread, runtimeMs, finishedAtMs, read, write };
}

function sumDirection(entries: Record<string, unknown>[], direction: 'read' | 'write', file: string, where: string): FioDirection {
  let iops = 0;
  let bytesPerSec = 0;
  let ios = 0;
  let clatSumNs = 0;
  let iopsMin = 0;
  let iopsSamples = Infinity;
  const weightedPercentiles = new Map<number, number>();
  for (const entry of entries) {
    const stats = asObject(entry[direction], file, `${where} "${direction}"`);
    const entryIops = requireNumber(stats.iops, file, `${where} ${direction}.iops`);
    const entryIos = typeof stats.total_ios === 'number' ? stats.total_ios : entryIops;
    const clat = asObject(stats.clat_ns, file, `${where} ${direction}.clat_ns (fio 3.x reports completion latency in clat_ns)`);

    iops += entryIops;
    bytesPerSec += requireNumber(stats.bw_bytes, file, `${where} ${direction}.bw_bytes`);
    ios += entryIos;
    clatSumNs += requireNumber(clat.mean, file, `${where} ${direction}.clat_ns.mean`) * entryIos;
    iopsMin += typeof stats.iops_min === 'number' ? stats.iops_min : Number.NaN;
    iopsSamples = Math.min(iopsSamples, typeof stats.iops_samples === 'number' ? stats.iops_samples : 0);
    // With lat_percentiles=1 fio reports the percentiles under lat_ns (submission included) instead.
    const latency = typeof stats.lat_ns === 'object' && stats.lat_ns !== null ? (stats.lat_ns as Record<string, unknown>) : {};
    const percentileSource = clat.percentile ?? latency.percentile;
    const percentiles = percentileSource === undefined ? {} : asObject(percentileSource, file, `${where} ${direction}.clat_ns.percentile`);
    for (const [percent, value] of Object.entries(percentiles)) {
      const key = Number(percent);
      if (!Number.isFinite(key) || typeof value !== 'number') continue;
      weightedPercentiles.set(key, (weightedPercentiles.get(key) ?? 0) + value * entryIos);
    }
  }
  if (ios === 0) throw new FioInputError(`${file}: ${where} completed no ${direction} commands, so it measured nothing`);
  // NOTE: percentiles of several processes are averaged weighted by their commands, which is exact
  // only when the processes saw the same distribution. fio with group_reporting merges them exactly.
  const clatPercentilesNs = new Map<number, number>();
  for (const [percent, sum] of [...weightedPercentiles].sort((a, b) => a[0] - b[0])) clatPercentilesNs.set(percent, sum / ios);
  return { iops, bytesPerSec, ios, clatMeanNs: clatSumNs / ios, clatPercentilesNs, iopsMin, iopsSamples };
}

const SIZE_SUFFIXES: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** Parses a fio size such as `4k`, `1m`, `4096` or `64KiB` into bytes; fio's k, m and g are binary by default. */
export function parseFioSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (match === null) return Number.NaN;
  return Math.round(Number(match[1]) * SIZE_SUFFIXES[match[2].toLowerCase()]);
}

function parseBlockSizes(text: string, file: string, where: string): [number, number] {
  if (text.includes('-') || text.includes(':')) {
    throw new FioInputError(`${file}: ${where} has bs=${text}: block-size ranges and splits are not supported, expected one size or READ,WRITE`);
  }
  const parts = text.split(',');
  const read = parseFioSize(parts[0]);
  const write = parts.length > 1 && parts[1] !== '' ? parseFioSize(parts[1]) : read;
  if (!(read > 0) || !(write > 0)) throw new FioInputError(`${file}: ${where} has an invalid bs=${text}: expected a size such as 4k or 1m`);
  return [read, write];
}

function parsePositiveInteger(text: string, file: string, what: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new FioInputError(`${file}: ${what} is ${text}: expected an integer >= 1`);
  return value;
}

function stringOptions(options: Record<string, unknown>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(options)) if (typeof value === 'string' || typeof value === 'number') result[key] = String(value);
  return result;
}

function asObject(value: unknown, file: string, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FioInputError(`${file} is not complete fio JSON output: ${what} is missing or not an object`);
  }
  return value as Record<string, unknown>;
}

function requireNumber(value: unknown, file: string, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new FioInputError(`${file} is not complete fio JSON output: ${what} is missing`);
  return value;
}
