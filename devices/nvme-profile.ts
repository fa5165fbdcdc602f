// A fitted NVMe profile: what `kvtier calibrate` derives from fio measurements, in the JSON format
// documented in docs/devices.md, and the closed-form prediction of a fio job from it.
//
// The profile keeps a latency curve over the queue depth for each measured access pattern
// (direction, read share of the mix, sequential or random, command size). A curve is the mean
// response time and the completion-latency percentiles at each measured depth, smoothed to be
// non-decreasing in depth. Between measured depths the curve is interpolated geometrically in
// log2(depth). Below the shallowest depth it holds its values. Beyond the deepest it holds the
// throughput (every latency grows in proportion to the depth), because a drive's internal
// parallelism is fitted only as far as it was measured. Commands larger than the curve's command size add their extra bytes through the
// direction's bandwidth pipe.

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { FioInputError, isSequential } from './fio.js';

export const PROFILE_FORMAT = 'kvtier-nvme-profile';
export const PROFILE_VERSION = 1;

export type Direction = 'read' | 'write';

/** The latency of one pattern at one queue depth. */
export interface LatencyCurvePoint {
  /** Outstanding commands: fio's iodepth times numjobs. */
  queueDepth: number;
  /** Mean time from submission to completion of this direction's commands, in nanoseconds (Little's law). */
  responseNs: number;
  /** Completion latency at each of the profile's `percentiles`, in nanoseconds. */
  clatNs: number[];
}

/** Latency over queue depth of one direction of one access pattern. */
export interface LatencyCurve {
  direction: Direction;
  /** Share of reads among the job's commands: 1 for pure reads, 0 for pure writes, 0.5 for a 50/50 mix. */
  readShare: number;
  sequential: boolean;
  /** Command size of the measurements, in bytes. */
  blockBytes: number;
  /** In ascending queue depth. */
  points: LatencyCurvePoint[];
}

export interface NvmeOperationProfile {
  /** Bandwidth ceiling of the direction's data pipe, in bytes per second (decimal). */
  bytesPerSec: number;
  /** Source of the ceiling: a large-command fio run, a datasheet, or a lower bound. */
  bandwidthSource: string;
}

export interface NvmeWriteProfile extends NvmeOperationProfile {
  /**
   * Bytes the drive absorbs at full speed before writes fall to `sustainedBytesPerSec` (its SLC or
   * DRAM write cache), or null when no measurement exhausted it.
   */
  writeCacheBytes: number | null;
  /** Write rate once the write cache is full, in bytes per second; null with `writeCacheBytes`. */
  sustainedBytesPerSec: number | null;
}

export interface NvmeProfile {
  format: typeof PROFILE_FORMAT;
  version: typeof PROFILE_VERSION;
  name: string;
  description: string;
  /** Source of the measurements and the other figures, with a year. */
  source: string;
  /** User capacity in bytes (decimal), or null when unknown. */
  capacityBytes: number | null;
  /** Flash capacity in bytes including over-provisioning, or null when unknown. */
  rawCapacityBytes: number | null;
  /** Rated endurance in drive writes per day over the warranty, or null when unknown. */
  ratedDwpd: number | null;
  warrantyYears: number | null;
  /** Commands the drive serves at once: the deepest measured queue. Deeper queues wait. */
  channels: number;
  read: NvmeOperationProfile;
  write: NvmeWriteProfile;
  /** Percent points of every curve's `clatNs`, ascending, for example 50, 99, 99.9. */
  percentiles: number[];
  curves: LatencyCurve[];
}

/** A fio job to predict. */
export interface PredictionJob {
  rw: string;
  readBlockBytes: number;
  writeBlockBytes: number;
  /** Outstanding commands: iodepth times numjobs. */
  queueDepth: number;
  /** Share of reads in percent. */
  rwmixread: number;
}

export interface DirectionPrediction {
  iops: number;
  meanResponseNs: number;
  /** Completion latency at the profile's percentiles, in nanoseconds. */
  clatNs: number[];
}

export interface Prediction {
  /** Commands per second over both directions. */
  iops: number;
  read: DirectionPrediction | null;
  write: DirectionPrediction | null;
}

/** Evaluates a curve at `queueDepth`: the interpolated response time and percentiles. */
export function evaluateCurve(curve: LatencyCurve, queueDepth: number): { responseNs: number; clatNs: number[] } {
  const points = curve.points;
  const first = points[0];
  const last = points[points.length - 1];
  if (queueDepth <= first.queueDepth) return { responseNs: first.responseNs, clatNs: first.clatNs.slice() };
  if (queueDepth >= last.queueDepth) {
    const scale = queueDepth / last.queueDepth;
    return { responseNs: last.responseNs * scale, clatNs: last.clatNs.map((value) => value * scale) };
  }
  let upper = 1;
  while (points[upper].queueDepth < queueDepth) upper++;
  const low = points[upper - 1];
  const high = points[upper];
  const t = Math.log2(queueDepth / low.queueDepth) / Math.log2(high.queueDepth / low.queueDepth);
  return {
    responseNs: geometricLerp(low.responseNs, high.responseNs, t),
    clatNs: low.clatNs.map((value, index) => geometricLerp(value, high.clatNs[index], t)),
  };
}

function geometricLerp(low: number, high: number, t: number): number {
  if (low <= 0 || high <= 0) return low + (high - low) * t;
  return Math.exp(Math.log(low) + (Math.log(high) - Math.log(low)) * t);
}

/**
 * Picks the curves that describe `direction` for a command of `blockBytes`: the group with the
 * nearest command size (log scale), preferring the same sequential/random pattern. Returns them in
 * ascending read share.
 */
export function selectCurves(profile: NvmeProfile, direction: Direction, sequential: boolean, blockBytes: number): LatencyCurve[] {
  let best: LatencyCurve[] = [];
  let bestScore = Infinity;
  for (const curve of profile.curves) {
    if (curve.direction !== direction) continue;
    const score = Math.abs(Math.log2(blockBytes / curve.blockBytes)) + (curve.sequential === sequential ? 0 : 0.5);
    if (score < bestScore - 1e-9) {
      bestScore = score;
      best = [curve];
    } else if (Math.abs(score - bestScore) <= 1e-9 && curve.blockBytes === best[0].blockBytes && curve.sequential === best[0].sequential) {
      best.push(curve);
    }
  }
  return best.sort((a, b) => a.readShare - b.readShare);
}

// The latency of `direction` at `queueDepth` in a mix with `readShare` reads, interpolated linearly
// in the read share between the two nearest measured mixes.
function estimateDirection(curves: LatencyCurve[], readShare: number, queueDepth: number): { responseNs: number; clatNs: number[]; blockBytes: number } {
  // `curves` is in ascending read share.
  const lower = [...curves].reverse().find((curve) => curve.readShare <= readShare) ?? curves[0];
  const upper = curves.find((curve) => curve.readShare >= readShare) ?? curves[curves.length - 1];
  const low = evaluateCurve(lower, queueDepth);
  if (upper === lower) return { ...low, blockBytes: lower.blockBytes };
  const high = evaluateCurve(upper, queueDepth);
  const t = (readShare - lower.readShare) / (upper.readShare - lower.readShare);
  return {
    responseNs: low.responseNs + (high.responseNs - low.responseNs) * t,
    clatNs: low.clatNs.map((value, index) => value + (high.clatNs[index] - value) * t),
    blockBytes: lower.blockBytes,
  };
}

/**
 * Predicts a fio job's IOPS and completion-latency percentiles from a profile.
 *
 * Each direction d with share s_d of the commands gets a response time R_d from its curves plus
 * the time its extra bytes take through the pipe, pipe_d = max(0, bytes - curve bytes) /
 * bytesPerSec. A closed loop of Q commands then completes rate = Q / sum(s_d R_d) commands per
 * second, at most 1 / (s_d pipe_d) for each pipe; when a pipe limits the rate, every latency
 * stretches by the same factor, as queueing in front of the pipe delays every command.
 */
export function predictFio(profile: NvmeProfile, job: PredictionJob): Prediction {
  const readShare = job.rwmixread / 100;
  const sequential = isSequential(job.rw);
  const shares: Record<Direction, number> = { read: readShare, write: 1 - readShare };
  const estimates: Partial<Record<Direction, { responseNs: number; clatNs: number[]; pipeNs: number }>> = {};
  let meanResponseNs = 0;
  let rateCeiling = Infinity;
  for (const direction of ['read', 'write'] as const) {
    if (shares[direction] <= 0) continue;
    const blockBytes = direction === 'read' ? job.readBlockBytes : job.writeBlockBytes;
    const curves = selectCurves(profile, direction, sequential, blockBytes);
    if (curves.length === 0) throw new FioInputError(`profile "${profile.name}" has no ${direction} measurements, so it cannot predict ${job.rw}`);
    const estimate = estimateDirection(curves, readShare, job.queueDepth);
    const pipeNs = (Math.max(0, blockBytes - estimate.blockBytes) * 1e9) / profile[direction].bytesPerSec;
    estimates[direction] = { responseNs: estimate.responseNs + pipeNs, clatNs: estimate.clatNs, pipeNs };
    meanResponseNs += shares[direction] * (estimate.responseNs + pipeNs);
    if (pipeNs > 0) rateCeiling = Math.min(rateCeiling, 1e9 / (shares[direction] * pipeNs));
  }

  const rate = Math.min((job.queueDepth * 1e9) / meanResponseNs, rateCeiling);
  const stretch = (job.queueDepth * 1e9) / rate / meanResponseNs;
  const directionPrediction = (direction: Direction): DirectionPrediction | null => {
    const estimate = estimates[direction];
    if (estimate === undefined) return null;
    const curveResponseNs = estimate.responseNs - estimate.pipeNs;
    const scale = (estimate.responseNs * stretch) / curveResponseNs;
    return { iops: rate * shares[direction], meanResponseNs: estimate.responseNs * stretch, clatNs: estimate.clatNs.map((value) => value * scale) };
  };
  return { iops: rate, read: directionPrediction('read'), write: directionPrediction('write') };
}

/** Returns the value of a prediction's percentile `percent`, or NaN when the profile has no such point. */
export function percentileOf(profile: NvmeProfile, clatNs: readonly number[], percent: number): number {
  const index = profile.percentiles.findIndex((candidate) => Math.abs(candidate - percent) < 1e-9);
  return index < 0 ? Number.NaN : clatNs[index];
}

/** Reads and validates a profile file; throws FioInputError naming the file and the missing field. */
export function loadNvmeProfile(path: string): NvmeProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new FioInputError(`cannot read NVMe profile ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FioInputError(`NVMe profile ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseNvmeProfile(value, path);
}

/** Writes a profile as JSON through a temporary file and a rename, so a crash leaves no half file. */
export function saveNvmeProfile(path: string, profile: NvmeProfile): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(profile, null, 2)}\n`);
  renameSync(temporary, path);
}

/** Validates a parsed profile; `source` names it in errors. */
export function parseNvmeProfile(value: unknown, source: string): NvmeProfile {
  const fail = (what: string): never => {
    throw new FioInputError(`NVMe profile ${source} is invalid: ${what} (see docs/devices.md for the format)`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('expected a JSON object');
  const profile = value as Record<string, unknown>;
  if (profile.format !== PROFILE_FORMAT) fail(`"format" must be "${PROFILE_FORMAT}"`);
  if (profile.version !== PROFILE_VERSION) fail(`"version" must be ${PROFILE_VERSION}`);
  for (const key of ['name', 'description', 'source']) if (typeof profile[key] !== 'string' || profile[key] === '') fail(`"${key}" is missing`);
  for (const key of ['capacityBytes', 'rawCapacityBytes', 'ratedDwpd', 'warrantyYears']) {
    if (profile[key] !== null && !(typeof profile[key] === 'number' && (profile[key] as number) > 0)) fail(`"${key}" must be a positive number or null`);
  }
  if (!Number.isInteger(profile.channels) || (profile.channels as number) < 1) fail('"channels" is missing or not an integer >= 1');
  for (const direction of ['read', 'write'] as const) {
    const operation = profile[direction] as Record<string, unknown> | undefined;
    if (typeof operation !== 'object' || operation === null) fail(`"${direction}" is missing`);
    else {
      if (!(typeof operation.bytesPerSec === 'number' && operation.bytesPerSec > 0)) fail(wrongNumber(`"${direction}.bytesPerSec"`, operation.bytesPerSec, 'a number > 0'));
      if (typeof operation.bandwidthSource !== 'string') fail(`"${direction}.bandwidthSource" is missing`);
    }
  }
  const write = profile.write as Record<string, unknown>;
  for (const key of ['writeCacheBytes', 'sustainedBytesPerSec']) {
    if (write[key] !== null && !(typeof write[key] === 'number' && (write[key] as number) > 0)) fail(`"write.${key}" must be a positive number or null`);
  }
  const percentiles = profile.percentiles;
  if (!Array.isArray(percentiles) || percentiles.length === 0 || !percentiles.every((p, i) => typeof p === 'number' && p > 0 && p < 100 && (i === 0 || p > percentiles[i - 1]))) {
    fail('"percentiles" must be ascending numbers between 0 and 100');
  }
  const curves = profile.curves;
  if (!Array.isArray(curves) || curves.length === 0) fail('"curves" is missing or empty');
  (curves as unknown[]).forEach((entry, index) => validateCurve(entry, `curves[${index}]`, (percentiles as number[]).length, fail));
  for (const direction of ['read', 'write']) {
    if (!(curves as LatencyCurve[]).some((curve) => curve.direction === direction)) fail(`"curves" has no ${direction} curve`);
  }
  return value as NvmeProfile;
}

// Says that the field `name` is missing, or that its `value` is not `expected`.
function wrongNumber(name: string, value: unknown, expected: string): string {
  return value === undefined ? `${name} is missing` : `${name} is ${JSON.stringify(value)}: expected ${expected}`;
}

function validateCurve(entry: unknown, where: string, percentileCount: number, fail: (what: string) => never): void {
  const curve = entry as Record<string, unknown>;
  if (typeof curve !== 'object' || curve === null) fail(`${where} is not an object`);
  if (curve.direction !== 'read' && curve.direction !== 'write') fail(`${where}.direction must be "read" or "write"`);
  if (!(typeof curve.readShare === 'number' && curve.readShare >= 0 && curve.readShare <= 1)) fail(`${where}.readShare must be between 0 and 1`);
  if (typeof curve.sequential !== 'boolean') fail(`${where}.sequential is missing`);
  if (!(typeof curve.blockBytes === 'number' && curve.blockBytes > 0)) fail(wrongNumber(`${where}.blockBytes`, curve.blockBytes, 'a number > 0'));
  const points = curve.points;
  if (!Array.isArray(points) || points.length === 0) fail(`${where}.points is missing or empty`);
  (points as Record<string, unknown>[]).forEach((point, index) => {
    const at = `${where}.points[${index}]`;
    if (!(typeof point.queueDepth === 'number' && point.queueDepth >= 1)) fail(wrongNumber(`${at}.queueDepth`, point.queueDepth, 'a number >= 1'));
    if (index > 0 && (point.queueDepth as number) <= ((points as Record<string, unknown>[])[index - 1].queueDepth as number)) fail(`${at}.queueDepth must be above the previous point's`);
    if (!(typeof point.responseNs === 'number' && point.responseNs > 0)) fail(wrongNumber(`${at}.responseNs`, point.responseNs, 'a number > 0'));
    const clat = point.clatNs;
    if (!Array.isArray(clat) || clat.length !== percentileCount || !clat.every((v) => typeof v === 'number' && v > 0)) {
      fail(`${at}.clatNs must hold one positive latency per percentile (${percentileCount})`);
    }
  });
}
