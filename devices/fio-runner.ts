// Runs fio against a drive for `kvtier calibrate --target`. The standard job set sweeps the queue
// depth with 4 KiB random reads, random writes and a 50/50 mix, then reads and writes commands of
// the KV block size. The jobs use a file that this module creates in the target folder and always
// removes: on success, on error, on abort (Ctrl-C in the CLI) and on process exit. A block device
// is written only with `allowDestructive`, since fio would overwrite its data.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FioInputError, parseFioJson, type FioPoint } from './fio.js';

/** fio is not installed. The CLI exits with status 2, as the user has to install it. */
export class FioNotFoundError extends Error {
  readonly code = 'ERR_KVTIER_INPUT';

  constructor(command: string) {
    super(`fio was not found (tried "${command}"): install it with "apt-get install fio" (Debian, Ubuntu) or your system's package manager`);
    this.name = 'FioNotFoundError';
  }
}

/** The run was aborted through its AbortSignal; the data file is already removed. */
export class CalibrationAbortedError extends Error {
  constructor() {
    super('calibration aborted; the fio data file was removed');
    this.name = 'CalibrationAbortedError';
  }
}

export interface FioRunOptions {
  /** A folder on the drive to measure, or a block device with `allowDestructive`. */
  target: string;
  /** Size of the data file fio reads and writes, in bytes. */
  sizeBytes: number;
  /** Measured time of each job, in milliseconds. */
  runtimeMs: number;
  /** KV block size for the large-command jobs, in bytes. */
  blockBytes: number;
  /** Queue depths of the 4 KiB sweeps, ascending. */
  queueDepths: readonly number[];
  /** Allow write jobs on a block device, destroying its data. */
  allowDestructive?: boolean;
  /** The fio executable; `fio` on the PATH by default. */
  fioCommand?: string;
  signal?: AbortSignal;
}

export interface FioRunResult {
  points: FioPoint[];
  /** fio's JSON output, to keep next to the profile. */
  fioJson: string;
  /** The job file fio ran. */
  jobFile: string;
  fioVersion: string;
  /** Whether the jobs used direct I/O (O_DIRECT); false when the file system rejects it. */
  directIo: boolean;
  /** Size of the file system holding the target folder, in bytes; null for a block device. */
  fileSystemBytes: number | null;
}

/** Free space kept beyond the data file, so that calibration never fills a drive. */
const FREE_SPACE_MARGIN_BYTES = 256 * 2 ** 20;

/** Returns fio's version string, or throws FioNotFoundError. */
export function fioVersion(command = 'fio'): string {
  const result = spawnSync(command, ['--version'], { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) throw new FioNotFoundError(command);
  return result.stdout.trim();
}

/** Builds the fio job file of the standard job set. */
export function buildJobFile(options: { filename: string; sizeBytes: number; runtimeMs: number; blockBytes: number; queueDepths: readonly number[]; directIo: boolean }): string {
  const rampMs = Math.min(1000, Math.round(options.runtimeMs / 5));
  const lines = [
    '[global]',
    `ioengine=${process.platform === 'linux' ? 'libaio' : 'posixaio'}`,
    `direct=${options.directIo ? 1 : 0}`,
    `filename=${options.filename}`,
    `size=${options.sizeBytes}`,
    'time_based=1',
    `runtime=${options.runtimeMs}ms`,
    `ramp_time=${rampMs}ms`,
    'group_reporting=1',
    'randrepeat=0',
    '',
  ];
  const job = (name: string, rw: string, blockBytes: number, iodepth: number, extra: string[] = []): void => {
    lines.push(`[${name}]`, `rw=${rw}`, `bs=${blockBytes}`, `iodepth=${iodepth}`, ...extra, 'stonewall', '');
  };
  const deepest = options.queueDepths[options.queueDepths.length - 1];
  for (const depth of options.queueDepths) job(`randread-4k-qd${depth}`, 'randread', 4096, depth);
  for (const depth of options.queueDepths) job(`randrw50-4k-qd${depth}`, 'randrw', 4096, depth, ['rwmixread=50']);
  for (const depth of options.queueDepths) job(`randwrite-4k-qd${depth}`, 'randwrite', 4096, depth);
  const blockDepth = Math.min(deepest, 8);
  job(`randread-block-qd${blockDepth}`, 'randread', options.blockBytes, blockDepth);
  job(`randwrite-block-qd${blockDepth}`, 'randwrite', options.blockBytes, blockDepth);
  return lines.join('\n');
}

/**
 * Runs the standard job set against `options.target` and returns the measured points. Throws
 * FioInputError for an unusable target, FioNotFoundError without fio, CalibrationAbortedError when
 * `options.signal` aborts; the data file and the job folder are removed in every case.
 */
export async function runFioCalibration(options: FioRunOptions): Promise<FioRunResult> {
  const command = options.fioCommand ?? 'fio';
  const version = fioVersion(command);
  validateRunOptions(options);
  const target = resolve(options.target);
  let targetStats;
  try {
    targetStats = statSync(target);
  } catch (error) {
    throw new FioInputError(`calibration target ${target} cannot be used: ${(error as Error).message}`);
  }

  let filename: string;
  let createdFile: string | null = null;
  let directIo = true;
  let fileSystemBytes: number | null = null;
  if (targetStats.isBlockDevice()) {
    if (options.allowDestructive !== true) {
      throw new FioInputError(
        `refusing to run write jobs on block device ${target}: they would overwrite its data. ` +
          'Give a folder on a file system of the drive instead, or pass --allow-destructive to accept the loss',
      );
    }
    filename = target;
  } else if (targetStats.isDirectory()) {
    const space = statfsSync(target);
    const freeBytes = space.bavail * space.bsize;
    fileSystemBytes = space.blocks * space.bsize;
    if (freeBytes < options.sizeBytes + FREE_SPACE_MARGIN_BYTES) {
      throw new FioInputError(
        `not enough free space in ${target}: ${freeBytes} bytes free, calibration needs ${options.sizeBytes} bytes for its data file ` +
          `plus ${FREE_SPACE_MARGIN_BYTES} to spare; lower --size or choose another folder`,
      );
    }
    filename = join(target, `kvtier-calibrate-${process.pid}-${randomBytes(4).toString('hex')}.dat`);
  } else {
    throw new FioInputError(`calibration target ${target} is neither a folder nor a block device`);
  }

  const jobFolder = mkdtempSync(join(tmpdir(), 'kvtier-calibrate-'));
  const removeFiles = (): void => {
    if (createdFile !== null) rmSync(createdFile, { force: true });
    rmSync(jobFolder, { recursive: true, force: true });
  };
  // A synchronous exit handler covers an exit that skips the finally block below.
  process.once('exit', removeFiles);
  try {
    if (!targetStats.isBlockDevice()) {
      closeSync(openSync(filename, 'wx'));
      createdFile = filename;
      directIo = supportsDirectIo(filename);
    }
    const jobFile = buildJobFile({ filename, sizeBytes: options.sizeBytes, runtimeMs: options.runtimeMs, blockBytes: options.blockBytes, queueDepths: options.queueDepths, directIo });
    const jobPath = join(jobFolder, 'jobs.fio');
    const outputPath = join(jobFolder, 'fio.json');
    writeFileSync(jobPath, jobFile);
    await runFio(command, ['--output-format=json', `--output=${outputPath}`, jobPath], options.signal);
    const fioJson = readFileSync(outputPath, 'utf8');
    return { points: parseFioJson(fioJson, 'fio output'), fioJson, jobFile, fioVersion: version, directIo, fileSystemBytes };
  } finally {
    removeFiles();
    process.removeListener('exit', removeFiles);
  }
}

function validateRunOptions(options: FioRunOptions): void {
  if (!(Number.isInteger(options.sizeBytes) && options.sizeBytes >= 2 ** 20)) throw new FioInputError(`--size must be at least 1 MiB, got ${options.sizeBytes} bytes`);
  if (!(options.runtimeMs >= 100)) throw new FioInputError(`--runtime must be at least 100 ms, got ${options.runtimeMs} ms`);
  if (!(Number.isInteger(options.blockBytes) && options.blockBytes >= 4096 && options.blockBytes <= options.sizeBytes)) {
    throw new FioInputError(`--block-size must be between 4 KiB and --size, got ${options.blockBytes} bytes`);
  }
  if (options.queueDepths.length === 0 || !options.queueDepths.every((depth, i) => Number.isInteger(depth) && depth >= 1 && (i === 0 || depth > options.queueDepths[i - 1]))) {
    throw new FioInputError(`--queue-depths must be ascending integers >= 1, got ${options.queueDepths.join(',')}`);
  }
}

// tmpfs and some network file systems reject O_DIRECT; fio then has to use buffered I/O.
function supportsDirectIo(path: string): boolean {
  if (constants.O_DIRECT === undefined) return false;
  try {
    closeSync(openSync(path, constants.O_RDWR | constants.O_DIRECT));
    return true;
  } catch {
    return false;
  }
}

function runFio(command: string, args: string[], signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    if (signal?.aborted) {
      reject(new CalibrationAbortedError());
      return;
    }
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let aborted = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const onAbort = (): void => {
      aborted = true;
      child.kill('SIGTERM');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      reject((error as NodeJS.ErrnoException).code === 'ENOENT' ? new FioNotFoundError(command) : error);
    });
    child.on('close', (status) => {
      signal?.removeEventListener('abort', onAbort);
      if (aborted) reject(new CalibrationAbortedError());
      else if (status !== 0) reject(new Error(`fio failed with exit status ${status}: ${stderr.trim().slice(-2000)}`));
      else resolvePromise();
    });
  });
}
