// Fits an NVMe profile to fio measurements and compares a profile's predictions with measurements.
//
// The fit groups the measured points by pattern (direction, read share of the mix, sequential or
// random, command size) into latency curves over queue depth. It smooths each curve to be
// non-decreasing in depth (pool-adjacent-violators isotonic regression), on the assumption that a
// deeper queue does not make a drive respond sooner. Bandwidth ceilings come from the
// largest-command runs. A write run whose per-interval IOPS fell below a quarter of its mean
// exhausted the drive's write cache. The lowest interval rate of such runs is the sustained write
// rate, and the most bytes a write run moved without falling is a lower bound of the cache.

import { FioInputError, isSequential, queueDepthOf, type FioDirection, type FioPoint } from './fio.js';
import {
  parseNvmeProfile,
  percentileOf,
  predictFio,
  PROFILE_FORMAT,
  PROFILE_VERSION,
  type Direction,
  type LatencyCurve,
  type LatencyCurvePoint,
  type NvmeProfile,
} from './nvme-profile.js';

/** Figures a fio run cannot measure, and overrides of the measured bandwidths. */
export interface FitOptions {
  name: string;
  description: string;
  source: string;
  capacityBytes?: number | null;
  rawCapacityBytes?: number | null;
  ratedDwpd?: number | null;
  warrantyYears?: number | null;
  /** Bandwidth ceilings with their source, when the runs had no large commands (a datasheet figure). */
  readBytesPerSec?: { bytesPerSec: number; source: string };
  writeBytesPerSec?: { bytesPerSec: number; source: string };
}

/** A write run whose lowest interval IOPS is below this share of its mean exhausted the write cache. */
const WRITE_CACHE_COLLAPSE_SHARE = 0.25;
/** Interval samples a write run needs before its lowest sample can show an exhausted cache. */
const MIN_IOPS_SAMPLES = 5;
/** Commands of at least this size measure the bandwidth ceiling rather than the per-command cost. */
const LARGE_COMMAND_BYTES = 128 * 1024;

const DIRECTIONS: readonly Direction[] = ['read', 'write'];

/** Fits a profile to fio points; throws FioInputError when they cannot describe a drive. */
export function fitNvmeProfile(points: readonly FioPoint[], options: FitOptions): NvmeProfile {
  if (points.length === 0) throw new FioInputError('no fio jobs to fit');
  const percentiles = commonPercentiles(points);
  const curves = buildCurves(points, percentiles);
  for (const direction of DIRECTIONS) {
    if (!curves.some((curve) => curve.direction === direction)) {
      throw new FioInputError(`the fio results contain no ${direction} jobs: a profile needs reads and writes`);
    }
  }
  const writeCache = fitWriteCache(points);
  const profile: NvmeProfile = {
    format: PROFILE_FORMAT,
    version: PROFILE_VERSION,
    name: options.name,
    description: options.description,
    source: options.source,
    capacityBytes: options.capacityBytes ?? null,
    rawCapacityBytes: options.rawCapacityBytes ?? null,
    ratedDwpd: options.ratedDwpd ?? null,
    warrantyYears: options.warrantyYears ?? null,
    channels: Math.max(...points.map(queueDepthOf)),
    read: options.readBytesPerSec === undefined ? fitBandwidth(points, 'read') : { bytesPerSec: options.readBytesPerSec.bytesPerSec, bandwidthSource: options.readBytesPerSec.source },
    write: {
      ...(options.writeBytesPerSec === undefined
        ? fitBandwidth(points, 'write')
        : { bytesPerSec: options.writeBytesPerSec.bytesPerSec, bandwidthSource: options.writeBytesPerSec.source }),
      ...writeCache,
    },
    percentiles,
    curves,
  };
  // The same checks as a profile read from a file, so that a fit never writes a file it cannot load.
  return parseNvmeProfile(profile, `fitted profile "${options.name}"`);
}

function directionOf(point: FioPoint, direction: Direction): FioDirection | null {
  return direction === 'read' ? point.read : point.write;
}

function blockBytesOf(point: FioPoint, direction: Direction): number {
  return direction === 'read' ? point.readBlockBytes : point.writeBlockBytes;
}

// Percent points every measured direction reports, so that all curves share one list.
function commonPercentiles(points: readonly FioPoint[]): number[] {
  let common: number[] | null = null;
  for (const point of points) {
    for (const direction of DIRECTIONS) {
      const stats = directionOf(point, direction);
      if (stats === null) continue;
      const keys = [...stats.clatPercentilesNs.keys()];
      common = common === null ? keys : common.filter((percent) => keys.includes(percent));
    }
  }
  const result = (common ?? []).filter((percent) => percent > 0 && percent < 100).sort((a, b) => a - b);
  if (!result.includes(99)) {
    throw new FioInputError('the fio results lack completion-latency percentiles up to 99% (fio writes them unless clat_percentiles=0)');
  }
  return result;
}

interface Sample {
  queueDepth: number;
  responseNs: number;
  clatNs: number[];
}

function buildCurves(points: readonly FioPoint[], percentiles: readonly number[]): LatencyCurve[] {
  const groups = new Map<string, { curve: Omit<LatencyCurve, 'points'>; samples: Sample[] }>();
  for (const point of points) {
    const totalIops = (point.read?.iops ?? 0) + (point.write?.iops ?? 0);
    const queueDepth = queueDepthOf(point);
    // Little's law gives the mean response over both directions; it is split between them in
    // proportion to their mean completion latencies.
    const meanResponseNs = (queueDepth * 1e9) / totalIops;
    const weightedClatNs = DIRECTIONS.reduce((sum, direction) => {
      const stats = directionOf(point, direction);
      return stats === null ? sum : sum + (stats.iops / totalIops) * stats.clatMeanNs;
    }, 0);
    for (const direction of DIRECTIONS) {
      const stats = directionOf(point, direction);
      if (stats === null) continue;
      const curve = { direction, readShare: point.rwmixread / 100, sequential: isSequential(point.rw), blockBytes: blockBytesOf(point, direction) };
      const key = `${curve.direction}/${curve.readShare}/${curve.sequential}/${curve.blockBytes}`;
      let group = groups.get(key);
      if (group === undefined) {
        group = { curve, samples: [] };
        groups.set(key, group);
      }
      group.samples.push({
        queueDepth,
        responseNs: (meanResponseNs * stats.clatMeanNs) / weightedClatNs,
        clatNs: percentiles.map((percent) => Math.max(1, stats.clatPercentilesNs.get(percent) as number)),
      });
    }
  }
  const curves = [...groups.values()].map(({ curve, samples }) => ({ ...curve, points: smoothCurve(samples) }));
  return curves.sort(
    (a, b) =>
      a.direction.localeCompare(b.direction) || b.readShare - a.readShare || Number(a.sequential) - Number(b.sequential) || a.blockBytes - b.blockBytes,
  );
}

// Averages repeated depths, then makes the response and every percentile non-decreasing in depth.
function smoothCurve(samples: Sample[]): LatencyCurvePoint[] {
  const byDepth = new Map<number, Sample[]>();
  for (const sample of samples) byDepth.set(sample.queueDepth, [...(byDepth.get(sample.queueDepth) ?? []), sample]);
  const depths = [...byDepth.keys()].sort((a, b) => a - b);
  const merged = depths.map((queueDepth) => {
    const group = byDepth.get(queueDepth) as Sample[];
    const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;
    return {
      queueDepth,
      responseNs: mean(group.map((sample) => sample.responseNs)),
      clatNs: group[0].clatNs.map((_, index) => mean(group.map((sample) => sample.clatNs[index]))),
    };
  });
  const responses = isotonicNonDecreasing(merged.map((point) => point.responseNs));
  const percentileSeries = merged[0].clatNs.map((_, index) => isotonicNonDecreasing(merged.map((point) => point.clatNs[index])));
  return merged.map((point, position) => {
    const clatNs = percentileSeries.map((series) => series[position]);
    // Smoothing each percentile alone could reorder percentiles of one point; keep them ascending.
    for (let index = 1; index < clatNs.length; index++) clatNs[index] = Math.max(clatNs[index], clatNs[index - 1]);
    return { queueDepth: point.queueDepth, responseNs: responses[position], clatNs };
  });
}

/** Least-squares non-decreasing fit of `values` (pool adjacent violators, equal weights). */
export function isotonicNonDecreasing(values: readonly number[]): number[] {
  const means: number[] = [];
  const counts: number[] = [];
  for (const value of values) {
    means.push(value);
    counts.push(1);
    while (means.length > 1 && means[means.length - 2] > means[means.length - 1]) {
      const count = counts[counts.length - 2] + counts[counts.length - 1];
      const mean = (means[means.length - 2] * counts[counts.length - 2] + means[means.length - 1] * counts[counts.length - 1]) / count;
      means.splice(-2, 2, mean);
      counts.splice(-2, 2, count);
    }
  }
  const result: number[] = [];
  means.forEach((mean, index) => {
    for (let i = 0; i < counts[index]; i++) result.push(mean);
  });
  return result;
}

function fitBandwidth(points: readonly FioPoint[], direction: Direction): { bytesPerSec: number; bandwidthSource: string } {
  const measured = points.filter((point) => directionOf(point, direction) !== null);
  const largest = Math.max(...measured.map((point) => blockBytesOf(point, direction)));
  const candidates = largest >= LARGE_COMMAND_BYTES ? measured.filter((point) => blockBytesOf(point, direction) === largest) : measured;
  let best = candidates[0];
  for (const point of candidates) if ((directionOf(point, direction) as FioDirection).bytesPerSec > (directionOf(best, direction) as FioDirection).bytesPerSec) best = point;
  const bytesPerSec = (directionOf(best, direction) as FioDirection).bytesPerSec;
  const run = `${best.rw} of ${formatBlock(blockBytesOf(best, direction))} at queue depth ${queueDepthOf(best)} (${best.file})`;
  const bandwidthSource =
    largest >= LARGE_COMMAND_BYTES
      ? `measured: ${run}`
      : `lower bound: the highest rate of the runs, ${run}, which had no commands of ${formatBlock(LARGE_COMMAND_BYTES)} or more`;
  return { bytesPerSec, bandwidthSource };
}

function fitWriteCache(points: readonly FioPoint[]): { writeCacheBytes: number | null; sustainedBytesPerSec: number | null } {
  const writes = points.filter(
    (point) => point.rwmixread === 0 && point.write !== null && Number.isFinite(point.write.iopsMin) && point.write.iopsSamples >= MIN_IOPS_SAMPLES,
  );
  const collapsed = writes.filter((point) => (point.write as FioDirection).iopsMin < WRITE_CACHE_COLLAPSE_SHARE * (point.write as FioDirection).iops);
  if (collapsed.length === 0) return { writeCacheBytes: null, sustainedBytesPerSec: null };
  // NOTE: the rate is measured with the collapsed runs' command size. Drives usually sustain more
  // bytes per second with large sequential writes than with small random ones, so for KV blocks
  // this ceiling is likely pessimistic when only small writes collapsed.
  const sustainedBytesPerSec = Math.min(...collapsed.map((point) => (point.write as FioDirection).iopsMin * point.writeBlockBytes));
  const steady = writes.filter((point) => !collapsed.includes(point));
  if (steady.length === 0 || !(sustainedBytesPerSec > 0)) return { writeCacheBytes: null, sustainedBytesPerSec: null };
  // NOTE: the cache is at least what the steadiest run wrote. No run filled it from empty, so its
  // true size is unknown and may be larger.
  const writeCacheBytes = Math.max(...steady.map((point) => (point.write as FioDirection).bytesPerSec * (point.runtimeMs / 1000)));
  return { writeCacheBytes, sustainedBytesPerSec };
}

function formatBlock(bytes: number): string {
  if (bytes % 2 ** 20 === 0) return `${bytes / 2 ** 20} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/** One measured point (one direction of one job) next to what a profile predicts for it. */
export interface ComparisonRow {
  file: string;
  job: string;
  /** fio's rw, with `:read` or `:write` appended for a direction of a mixed job. */
  rw: string;
  blockBytes: number;
  iodepth: number;
  numjobs: number;
  measuredIops: number;
  predictedIops: number;
  /** Completion-latency percentiles in microseconds; NaN where fio did not report the percentile. */
  measuredP50Us: number;
  predictedP50Us: number;
  measuredP99Us: number;
  predictedP99Us: number;
  measuredP999Us: number;
  predictedP999Us: number;
}

/** Predicts every measured point with `profile`: one row per direction of each job. */
export function compareWithMeasurements(profile: NvmeProfile, points: readonly FioPoint[]): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  for (const point of points) {
    const prediction = predictFio(profile, {
      rw: point.rw,
      readBlockBytes: point.readBlockBytes,
      writeBlockBytes: point.writeBlockBytes,
      queueDepth: queueDepthOf(point),
      rwmixread: point.rwmixread,
    });
    const mixed = point.read !== null && point.write !== null;
    for (const direction of DIRECTIONS) {
      const measured = directionOf(point, direction);
      const predicted = prediction[direction];
      if (measured === null || predicted === null) continue;
      const measuredUs = (percent: number): number => (measured.clatPercentilesNs.get(percent) ?? Number.NaN) / 1000;
      const predictedUs = (percent: number): number => percentileOf(profile, predicted.clatNs, percent) / 1000;
      rows.push({
        file: point.file,
        job: point.jobName,
        rw: mixed ? `${point.rw}:${direction}` : point.rw,
        blockBytes: blockBytesOf(point, direction),
        iodepth: point.iodepth,
        numjobs: point.numjobs,
        measuredIops: measured.iops,
        predictedIops: predicted.iops,
        measuredP50Us: measuredUs(50),
        predictedP50Us: predictedUs(50),
        measuredP99Us: measuredUs(99),
        predictedP99Us: predictedUs(99),
        measuredP999Us: measuredUs(99.9),
        predictedP999Us: predictedUs(99.9),
      });
    }
  }
  return rows;
}

/**
 * Predicts each job with a profile fitted to the other jobs (leave-one-out cross-validation), which
 * measures how well the fit predicts runs it has not seen. Jobs without which no profile can be fitted
 * (the only read or write job) are left out of the result.
 */
export function crossValidate(points: readonly FioPoint[], options: FitOptions): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  for (let left = 0; left < points.length; left++) {
    const others = points.filter((_, index) => index !== left);
    let profile: NvmeProfile;
    try {
      profile = fitNvmeProfile(others, options);
    } catch (error) {
      if (error instanceof FioInputError) continue;
      throw error;
    }
    rows.push(...compareWithMeasurements(profile, [points[left]]));
  }
  return rows;
}

export interface FitQuality {
  points: number;
  /** Points within both tolerances. */
  within: number;
  /** within / points. */
  share: number;
  maxIopsError: number;
  maxP99Error: number;
}

/** Relative error |predicted / measured - 1|. */
export function relativeError(measured: number, predicted: number): number {
  return Math.abs(predicted / measured - 1);
}

/** Counts the rows whose IOPS and p99 are within the given relative tolerances. */
export function assessFit(rows: readonly ComparisonRow[], iopsTolerance = 0.1, p99Tolerance = 0.2): FitQuality {
  let within = 0;
  let maxIopsError = 0;
  let maxP99Error = 0;
  for (const row of rows) {
    const iopsError = relativeError(row.measuredIops, row.predictedIops);
    const p99Error = Number.isFinite(row.measuredP99Us) ? relativeError(row.measuredP99Us, row.predictedP99Us) : 0;
    maxIopsError = Math.max(maxIopsError, iopsError);
    maxP99Error = Math.max(maxP99Error, p99Error);
    if (iopsError <= iopsTolerance && p99Error <= p99Tolerance) within++;
  }
  return { points: rows.length, within, share: rows.length === 0 ? 0 : within / rows.length, maxIopsError, maxP99Error };
}
