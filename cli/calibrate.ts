// `kvtier calibrate`: fit an NVMe profile to fio measurements and report how well it reproduces them.
//
//   --from-fio PATH... --out PROFILE.json   fit fio JSON measured elsewhere
//   --check PROFILE.json --fio PATH...      predict other fio runs with a fitted profile
//   --target DIR --out PROFILE.json         run fio on a drive, then fit
//
// Each mode prints one row per measured point (a direction of a fio job): measured and predicted
// IOPS and completion-latency percentiles, as an aligned table or as CSV (`--format csv`).

import { basename } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { Argv, CommandModule } from 'yargs';
import { FioInputError, readFioResults, type FioPoint } from '../devices/fio.js';
import { CalibrationAbortedError, runFioCalibration } from '../devices/fio-runner.js';
import { assessFit, compareWithMeasurements, crossValidate, fitNvmeProfile, relativeError, type FitOptions } from '../devices/nvme-fit.js';
import { loadNvmeProfile, saveNvmeProfile, type NvmeProfile } from '../devices/nvme-profile.js';
import { writeFileAtomic } from '../results/run-folder.js';
import { parseBytes } from '../sim/units.js';

export const CALIBRATE_FORMATS = ['table', 'csv'] as const;
export type CalibrateFormat = (typeof CALIBRATE_FORMATS)[number];

/** Columns of `--format csv`. */
export const CSV_COLUMNS = ['file', 'rw', 'bs', 'iodepth', 'numjobs', 'measured_iops', 'predicted_iops', 'measured_p99_us', 'predicted_p99_us'] as const;

/** Tolerances of the fit summary line: IOPS within 10% and p99 within 20% of the measurement. */
const IOPS_TOLERANCE = 0.1;
const P99_TOLERANCE = 0.2;

export interface CalibrateArguments {
  'from-fio'?: string[];
  check?: string;
  fio?: string[];
  target?: string;
  out?: string;
  format?: string;
  name?: string;
  description?: string;
  source?: string;
  capacity?: string;
  'raw-capacity'?: string;
  dwpd?: number;
  'warranty-years'?: number;
  'read-bandwidth'?: string;
  'write-bandwidth'?: string;
  'bandwidth-source'?: string;
  size?: string;
  runtime?: string;
  'block-size'?: string;
  'queue-depths'?: string;
  'allow-destructive'?: boolean;
}

/** Result of one calibrate invocation: what to print, and the profile to write when one was fitted. */
export interface CalibrateOutput {
  text: string;
  profile: NvmeProfile | null;
}

/** Fits a profile to fio files or folders and renders the comparison. Pure apart from reading the files. */
export function calibrateFromFio(args: CalibrateArguments): CalibrateOutput {
  const format = parseFormat(args.format);
  const paths = args['from-fio'] ?? [];
  if (paths.length === 0) throw new FioInputError('--from-fio needs at least one fio JSON file or folder');
  const points = readFioResults(paths);
  const options = fitOptions(args, paths);
  const profile = fitNvmeProfile(points, options);
  return { text: renderComparison(profile, points, format) + renderCrossValidation(points, options, format), profile };
}

/** Predicts fio runs with an existing profile and renders the comparison. */
export function calibrateCheck(args: CalibrateArguments): CalibrateOutput {
  const format = parseFormat(args.format);
  const paths = args.fio ?? [];
  if (paths.length === 0) throw new FioInputError('--check needs --fio with at least one fio JSON file or folder to predict');
  const profile = loadNvmeProfile(args.check as string);
  return { text: renderComparison(profile, readFioResults(paths), format), profile: null };
}

/** Runs fio on `--target`, fits, and renders the comparison; also returns fio's JSON output. */
export async function calibrateTarget(args: CalibrateArguments, signal?: AbortSignal): Promise<CalibrateOutput & { fioJson: string }> {
  const format = parseFormat(args.format);
  const sizeBytes = parseSize(args.size ?? '4GiB', '--size');
  const runtimeMs = parseDurationMs(args.runtime ?? '5s');
  const blockBytes = parseSize(args['block-size'] ?? '2MiB', '--block-size');
  const queueDepths = parseQueueDepths(args['queue-depths'] ?? '1,4,16,32');
  const target = args.target as string;
  const run = await runFioCalibration({ target, sizeBytes, runtimeMs, blockBytes, queueDepths, allowDestructive: args['allow-destructive'] === true, signal });
  const measuredAt = new Date().toISOString().slice(0, 10);
  const defaults: Partial<CalibrateArguments> = {
    description: `the drive holding ${target}`,
    source:
      `measured by kvtier calibrate --target on ${measuredAt} with ${run.fioVersion}, ${run.directIo ? 'direct' : 'buffered'} I/O, ` +
      `a ${sizeBytes}-byte file, ${runtimeMs} ms per job`,
  };
  const options = fitOptions({ ...defaults, ...args }, [target]);
  if (options.capacityBytes === null && run.fileSystemBytes !== null) options.capacityBytes = run.fileSystemBytes;
  const profile = fitNvmeProfile(run.points, options);
  const text = renderComparison(profile, run.points, format) + renderCrossValidation(run.points, options, format);
  return { text, profile, fioJson: run.fioJson };
}

function fitOptions(args: CalibrateArguments, paths: readonly string[]): FitOptions & { capacityBytes: number | null } {
  const name = args.name ?? (args.out === undefined ? basename(paths[0]).replace(/\.json$/, '') : basename(args.out).replace(/\.json$/, ''));
  const bandwidthSource = args['bandwidth-source'] ?? 'given on the kvtier calibrate command line';
  const bandwidth = (text: string | undefined, flag: string): { bytesPerSec: number; source: string } | undefined =>
    text === undefined ? undefined : { bytesPerSec: parseSize(text, flag), source: bandwidthSource };
  return {
    name,
    description: args.description ?? `drive measured by fio (${paths.join(', ')})`,
    source: args.source ?? `fio results ${paths.join(', ')}, fitted by kvtier calibrate on ${new Date().toISOString().slice(0, 10)}`,
    capacityBytes: args.capacity === undefined ? null : parseSize(args.capacity, '--capacity'),
    rawCapacityBytes: args['raw-capacity'] === undefined ? null : parseSize(args['raw-capacity'], '--raw-capacity'),
    ratedDwpd: args.dwpd ?? null,
    warrantyYears: args['warranty-years'] ?? null,
    readBytesPerSec: bandwidth(args['read-bandwidth'], '--read-bandwidth'),
    writeBytesPerSec: bandwidth(args['write-bandwidth'], '--write-bandwidth'),
  };
}

function parseFormat(format: string | undefined): CalibrateFormat {
  const value = format ?? 'table';
  if (!(CALIBRATE_FORMATS as readonly string[]).includes(value)) {
    throw new FioInputError(`invalid --format "${value}": expected one of ${CALIBRATE_FORMATS.join(', ')}`);
  }
  return value as CalibrateFormat;
}

function parseSize(text: string, flag: string): number {
  const bytes = parseBytes(text);
  if (!Number.isFinite(bytes) || bytes <= 0) throw new FioInputError(`invalid ${flag} "${text}": expected a size such as 4GiB, 2MiB or 7.1e9`);
  return bytes;
}

/** Parses a duration such as `5s`, `1500ms` or `2m` into milliseconds. */
export function parseDurationMs(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
  if (match === null) throw new FioInputError(`invalid --runtime "${text}": expected a duration such as 5s, 1500ms or 2m`);
  let scale = 1000;
  if (match[2] === 'ms') scale = 1;
  if (match[2] === 'm') scale = 60_000;
  return Math.round(Number(match[1]) * scale);
}

function parseQueueDepths(text: string): number[] {
  const depths = text.split(',').map((part) => Number(part.trim()));
  if (depths.some((depth) => !Number.isInteger(depth) || depth < 1)) {
    throw new FioInputError(`invalid --queue-depths "${text}": expected ascending integers such as 1,4,16,32`);
  }
  return depths;
}

/** Renders the measured-against-predicted rows as an aligned table with a summary line, or as CSV. */
export function renderComparison(profile: NvmeProfile, points: readonly FioPoint[], format: CalibrateFormat): string {
  const rows = compareWithMeasurements(profile, points);
  if (format === 'csv') {
    const records = rows.map((row) => [row.file, row.rw, row.blockBytes, row.iodepth, row.numjobs, round(row.measuredIops, 1), round(row.predictedIops, 1), round(row.measuredP99Us, 3), round(row.predictedP99Us, 3)]);
    return stringify(records, { header: true, columns: [...CSV_COLUMNS] });
  }
  const quality = assessFit(rows, IOPS_TOLERANCE, P99_TOLERANCE);
  const header = ['file', 'rw', 'bs', 'iodepth', 'numjobs', 'IOPS', 'predicted', 'error', 'p50 us', 'predicted', 'p99 us', 'predicted', 'error', 'p99.9 us', 'predicted'];
  const body = rows.map((row) => [
    basename(row.file),
    row.rw,
    formatBlock(row.blockBytes),
    String(row.iodepth),
    String(row.numjobs),
    formatCount(row.measuredIops),
    formatCount(row.predictedIops),
    formatError(row.measuredIops, row.predictedIops),
    formatMicroseconds(row.measuredP50Us),
    formatMicroseconds(row.predictedP50Us),
    formatMicroseconds(row.measuredP99Us),
    formatMicroseconds(row.predictedP99Us),
    formatError(row.measuredP99Us, row.predictedP99Us),
    formatMicroseconds(row.measuredP999Us),
    formatMicroseconds(row.predictedP999Us),
  ]);
  const lines = [
    `profile ${profile.name}: ${profile.description}`,
    '',
    ...alignColumns([header, ...body]),
    '',
    `${quality.within} of ${quality.points} points within ${IOPS_TOLERANCE * 100}% on IOPS and ${P99_TOLERANCE * 100}% on p99 ` +
      `(largest errors: IOPS ${(quality.maxIopsError * 100).toFixed(1)}%, p99 ${(quality.maxP99Error * 100).toFixed(1)}%)`,
  ];
  return `${lines.join('\n')}\n`;
}

// The leave-one-out line under a fit's table: how well the fit predicts jobs it did not see.
function renderCrossValidation(points: readonly FioPoint[], options: FitOptions, format: CalibrateFormat): string {
  if (format === 'csv') return '';
  const rows = crossValidate(points, options);
  const quality = assessFit(rows, IOPS_TOLERANCE, P99_TOLERANCE);
  return (
    `leave-one-out (each job predicted by a fit to the others): ${quality.within} of ${quality.points} points within ` +
    `${IOPS_TOLERANCE * 100}% on IOPS and ${P99_TOLERANCE * 100}% on p99\n`
  );
}

function round(value: number, digits: number): number | string {
  return Number.isFinite(value) ? Number(value.toFixed(digits)) : '';
}

function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function formatMicroseconds(value: number): string {
  if (!Number.isFinite(value)) return '-';
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);
}

function formatError(measured: number, predicted: number): string {
  if (!Number.isFinite(measured) || !Number.isFinite(predicted)) return '-';
  const percent = (relativeError(measured, predicted) * 100).toFixed(1);
  if (percent === '0.0') return '0.0%';
  return `${predicted >= measured ? '+' : '-'}${percent}%`;
}

function formatBlock(bytes: number): string {
  if (bytes % 2 ** 20 === 0) return `${bytes / 2 ** 20}m`;
  if (bytes % 1024 === 0) return `${bytes / 1024}k`;
  return String(bytes);
}

// Left-aligns the first two columns (file, rw) and right-aligns the numbers.
function alignColumns(table: string[][]): string[] {
  const widths = table[0].map((_, column) => Math.max(...table.map((row) => row[column].length)));
  return table.map((row) => row.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ').trimEnd());
}

async function handleCalibrate(args: CalibrateArguments): Promise<void> {
  const modes = [args['from-fio'] !== undefined, args.check !== undefined, args.target !== undefined].filter(Boolean).length;
  if (modes !== 1) throw new FioInputError('give exactly one of --from-fio PATH..., --check PROFILE.json or --target DIR');
  if (args.check === undefined && args.out === undefined) throw new FioInputError('--out PROFILE.json is required to write the fitted profile');

  if (args.check !== undefined) {
    process.stdout.write(calibrateCheck(args).text);
    return;
  }
  if (args['from-fio'] !== undefined) {
    const output = calibrateFromFio(args);
    saveNvmeProfile(args.out as string, output.profile as NvmeProfile);
    process.stdout.write(output.text);
    if (args.format !== 'csv') process.stdout.write(`profile written to ${args.out}\n`);
    return;
  }

  const controller = new AbortController();
  const abort = (): void => controller.abort();
  // `on`, not `once`: a second Ctrl-C must not kill the process before the data file is removed.
  process.on('SIGINT', abort);
  process.on('SIGTERM', abort);
  try {
    if (args.format !== 'csv') process.stderr.write(`running fio on ${args.target}; Ctrl-C stops it and removes the data file\n`);
    const output = await calibrateTarget(args, controller.signal);
    const out = args.out as string;
    saveNvmeProfile(out, output.profile as NvmeProfile);
    const fioOutput = out.replace(/\.json$/, '') + '.fio.json';
    writeFileAtomic(fioOutput, output.fioJson);
    process.stdout.write(output.text);
    if (args.format !== 'csv') process.stdout.write(`profile written to ${out}, fio output to ${fioOutput}\n`);
  } catch (error) {
    if (error instanceof CalibrationAbortedError) {
      process.stderr.write(`kvtier: ${error.message}\n`);
      process.exitCode = 130;
      return;
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', abort);
    process.removeListener('SIGTERM', abort);
  }
}

export const calibrateCommand: CommandModule<object, CalibrateArguments> = {
  command: 'calibrate',
  describe: 'Fit an NVMe device profile to fio measurements (--from-fio, --target) or check one against other runs (--check)',
  builder: (yargs: Argv<object>) =>
    yargs
      .option('from-fio', { type: 'string', array: true, describe: 'fio JSON files or folders to fit' })
      .option('check', { type: 'string', describe: 'profile (JSON) to check against --fio runs' })
      .option('fio', { type: 'string', array: true, describe: 'fio JSON files or folders that --check predicts' })
      .option('target', { type: 'string', describe: 'folder on the drive to measure with fio (a data file is created there and removed)' })
      .option('out', { type: 'string', describe: 'profile file to write (JSON)' })
      .option('format', { type: 'string', choices: [...CALIBRATE_FORMATS], describe: 'output: aligned table or CSV [default: table]' })
      .option('name', { type: 'string', describe: 'profile name [default: the --out file name without .json]' })
      .option('description', { type: 'string', describe: 'what the drive is, in a few words' })
      .option('source', { type: 'string', describe: 'where the measurements come from, with a year' })
      .option('capacity', { type: 'string', describe: 'user capacity of the drive in bytes (2TB, 1.92e12); needed for endurance' })
      .option('raw-capacity', { type: 'string', describe: 'flash capacity including over-provisioning in bytes (2TiB); needed for write amplification' })
      .option('dwpd', { type: 'number', describe: 'rated endurance in drive writes per day' })
      .option('warranty-years', { type: 'number', describe: 'warranty period of the rated endurance, in years' })
      .option('read-bandwidth', { type: 'string', describe: 'read bandwidth ceiling in bytes per second, when the runs had no large reads (7.1GB)' })
      .option('write-bandwidth', { type: 'string', describe: 'write bandwidth ceiling in bytes per second, when the runs had no large writes' })
      .option('bandwidth-source', { type: 'string', describe: 'where --read-bandwidth and --write-bandwidth come from' })
      .option('size', { type: 'string', describe: '--target: size of the data file fio uses [default: 4GiB]' })
      .option('runtime', { type: 'string', describe: '--target: measured time of each fio job (5s, 1500ms) [default: 5s]' })
      .option('block-size', { type: 'string', describe: '--target: KV block size of the large-command jobs [default: 2MiB]' })
      .option('queue-depths', { type: 'string', describe: '--target: queue depths of the 4 KiB sweeps [default: 1,4,16,32]' })
      .option('allow-destructive', { type: 'boolean', describe: '--target: allow write jobs on a block device, destroying its data' }) as Argv<CalibrateArguments>,
  handler: handleCalibrate,
};
