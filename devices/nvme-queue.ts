// The fitted NVMe model: a DeviceQueue whose per-command latency follows a fitted profile.
//
// A command submitted at `at` takes the earliest-free of `channels` command slots. Its bytes beyond
// the profile's measured command size pass through the direction's FCFS bandwidth pipe first; then
// it waits a latency drawn for the number n of commands in service at its start (itself included):
//   latency = meanResponse(n) x interference x shape
// meanResponse(n) is the direction's response-time curve at queue depth n, from the runs of that
// direction alone. interference moves it toward the mixed-workload curve (read latency rising under
// writes) as the other direction's share of the last RECENT_COMMANDS submissions grows to its share
// in the measured mix. fio's rwmixread counts submitted commands, so the share is taken over
// submissions, not over the commands in service. shape is drawn from the completion-latency
// percentiles at the nearest measured depth, normalised to mean 1, so a closed loop at depth n
// completes n / meanResponse(n) commands per second on average, as fio measured. Writes fill the
// drive's write cache, which drains to flash at the sustained write rate. While it is full, a write
// waits for room, so a long write stream settles at the sustained rate.
//
// The pipe comes before the latency so that one slow draw does not hold up the commands queued
// behind it in the pipe. Latency draws take uniform indexes from a table filled at construction by
// the seeded generator, so `checkpoint` and `rollback` restore the draws along with the queue.

import { DeviceQueue, Operation, replaceHeapRoot, type DeviceSpec } from './device.js';
import { evaluateCurve, selectCurves, type Direction, type LatencyCurve, type NvmeProfile } from './nvme-profile.js';

/** Quantile steps of each latency-shape table. */
const SHAPE_STEPS = 1024;
/** Uniform draws precomputed per queue; the draws repeat after this many commands. */
const DRAW_TABLE_SIZE = 1 << 18;
/** Submissions whose read/write mix sets the interference. */
const RECENT_COMMANDS = 64;

export class FittedNvmeQueue extends DeviceQueue {
  readonly profile: NvmeProfile;

  private readonly channels: number;
  /** Drives striped together; queue depth per drive indexes the curves. */
  private readonly drives: number;
  private readonly maxDepth: number;
  // Min-heap of the instants at which each command slot frees.
  private readonly freeAt: Float64Array;
  private readonly pipeAvailableAt = new Float64Array(2);
  private readonly pipeNsPerByte = new Float64Array(2);
  private readonly curveBlockBytes = new Float64Array(2);
  // Indexed by operation * (maxDepth + 1) + depth.
  private readonly meanResponseNs: Float64Array;
  private readonly mixFactor: Float64Array;
  /** Per operation: the other direction's share of the commands in the measured mix. */
  private readonly mixOtherShare = new Float64Array([0.5, 0.5]);
  // Operations of the last RECENT_COMMANDS submissions (0 none yet, 1 read, 2 write) and their counts.
  private readonly recent = new Uint8Array(RECENT_COMMANDS);
  private readonly recentCounts = new Float64Array(3);
  private recentCursor = 0;
  private readonly shapeOffset: Int32Array;
  private readonly shapes: Float64Array;
  private readonly draws: Uint16Array;
  private drawCursor = 0;
  // The write cache drains to flash at the sustained rate, modelled as a second FCFS pipe that
  // every write enters. A write waits while that pipe's backlog would exceed the cache.
  private readonly writeCacheNs: number;
  private readonly nsPerSustainedByte: number;
  private flashFreeAt = 0;

  private readonly savedFreeAt: Float64Array;
  private readonly savedPipeAvailableAt = new Float64Array(2);
  private readonly savedCommandCounts = new Float64Array(2);
  private readonly savedByteCounts = new Float64Array(2);
  private savedDrawCursor = 0;
  private readonly savedRecent = new Uint8Array(RECENT_COMMANDS);
  private readonly savedRecentCounts = new Float64Array(3);
  private savedRecentCursor = 0;
  private savedFlashFreeAt = 0;

  /** `spec` is a profile's device spec (see `profileDeviceSpec`), maybe striped; `random` returns uniforms in [0, 1). */
  constructor(spec: DeviceSpec, random: () => number) {
    super(spec);
    if (spec.profile === undefined) throw new RangeError(`device "${spec.name}" has no fitted NVMe profile`);
    const profile = spec.profile;
    this.profile = profile;
    this.channels = spec.channels;
    this.drives = Math.max(1, Math.round(spec.channels / profile.channels));
    this.maxDepth = profile.channels;
    this.freeAt = new Float64Array(this.channels);
    this.savedFreeAt = new Float64Array(this.channels);

    const stride = this.maxDepth + 1;
    this.meanResponseNs = new Float64Array(2 * stride);
    this.mixFactor = new Float64Array(2 * stride);
    this.shapeOffset = new Int32Array(2 * stride);
    const shapeTables: Float64Array[] = [];
    for (const op of [Operation.Read, Operation.Write]) {
      const direction: Direction = op === Operation.Read ? 'read' : 'write';
      const curves = selectCurves(profile, direction, false, smallestBlock(profile, direction));
      // Curves come in ascending read share: reads alone have the largest, writes alone the smallest.
      const alone = direction === 'read' ? curves[curves.length - 1] : curves[0];
      const mix = pickMixCurve(curves, alone);
      if (mix !== null) this.mixOtherShare[op] = direction === 'read' ? 1 - mix.readShare : mix.readShare;
      this.curveBlockBytes[op] = alone.blockBytes;
      // The spec's bandwidth, which stripeDevices has already multiplied by the drives.
      this.pipeNsPerByte[op] = 1e9 / (op === Operation.Read ? spec.read.bytesPerSec : spec.write.bytesPerSec);
      const firstTable = shapeTables.length;
      for (const point of alone.points) shapeTables.push(buildShapeTable(profile.percentiles, point.clatNs));
      for (let depth = 1; depth <= this.maxDepth; depth++) {
        const mean = evaluateCurve(alone, depth).responseNs;
        this.meanResponseNs[op * stride + depth] = mean;
        this.mixFactor[op * stride + depth] = mix === null ? 1 : evaluateCurve(mix, depth).responseNs / mean;
        this.shapeOffset[op * stride + depth] = (firstTable + nearestPointIndex(alone, depth)) * SHAPE_STEPS;
      }
    }
    this.shapes = new Float64Array(shapeTables.length * SHAPE_STEPS);
    shapeTables.forEach((table, index) => this.shapes.set(table, index * SHAPE_STEPS));

    this.draws = new Uint16Array(DRAW_TABLE_SIZE);
    for (let i = 0; i < DRAW_TABLE_SIZE; i++) this.draws[i] = Math.min(SHAPE_STEPS - 1, Math.floor(random() * SHAPE_STEPS));

    const write = profile.write;
    const hasCache = write.writeCacheBytes !== null && write.sustainedBytesPerSec !== null;
    this.nsPerSustainedByte = hasCache ? 1e9 / ((write.sustainedBytesPerSec as number) * this.drives) : 0;
    this.writeCacheNs = hasCache ? (write.writeCacheBytes as number) * this.drives * this.nsPerSustainedByte : Infinity;
  }

  override submit(op: Operation, at: number, bytes: number): number {
    const freeAt = this.freeAt;
    const start = at > freeAt[0] ? at : freeAt[0];

    let inService = 1;
    for (let i = 0; i < this.channels; i++) if (freeAt[i] > start) inService++;
    let depth = Math.ceil(inService / this.drives);
    if (depth > this.maxDepth) depth = this.maxDepth;
    const index = op * (this.maxDepth + 1) + depth;
    const recentReads = this.recentCounts[1];
    const recentWrites = this.recentCounts[2];
    const otherShare = (op === Operation.Read ? recentWrites : recentReads) / (recentReads + recentWrites || 1);
    const weight = otherShare / this.mixOtherShare[op];
    const interference = 1 + (this.mixFactor[index] - 1) * (weight < 1 ? weight : 1);
    this.recentCounts[this.recent[this.recentCursor]]--;
    this.recent[this.recentCursor] = op + 1;
    this.recentCounts[op + 1]++;
    this.recentCursor = (this.recentCursor + 1) % RECENT_COMMANDS;
    const latencyNs = this.meanResponseNs[index] * interference * this.shapes[this.shapeOffset[index] + this.draws[this.drawCursor]];
    this.drawCursor = (this.drawCursor + 1) & (DRAW_TABLE_SIZE - 1);

    const extraBytes = bytes > this.curveBlockBytes[op] ? bytes - this.curveBlockBytes[op] : 0;
    const occupancyNs = extraBytes * this.pipeNsPerByte[op];
    let pipeStart = start > this.pipeAvailableAt[op] ? start : this.pipeAvailableAt[op];
    if (op === Operation.Write && this.writeCacheNs !== Infinity) {
      // The cache's fill is the backlog (flashFreeAt - now) x sustained rate. When this write
      // would overflow it, the write starts only once enough has drained.
      this.flashFreeAt = (this.flashFreeAt > pipeStart ? this.flashFreeAt : pipeStart) + bytes * this.nsPerSustainedByte;
      const roomAt = this.flashFreeAt - this.writeCacheNs;
      if (roomAt > pipeStart) pipeStart = roomAt;
    }
    const pipeEnd = pipeStart + occupancyNs;
    this.pipeAvailableAt[op] = pipeEnd;
    const end = Math.ceil(pipeEnd + latencyNs);

    replaceHeapRoot(this.freeAt, end);
    this.commands[op] += 1;
    this.bytes[op] += bytes;
    return end;
  }

  override checkpoint(): void {
    this.savedFreeAt.set(this.freeAt);
    this.savedPipeAvailableAt.set(this.pipeAvailableAt);
    this.savedCommandCounts.set(this.commands);
    this.savedByteCounts.set(this.bytes);
    this.savedDrawCursor = this.drawCursor;
    this.savedRecent.set(this.recent);
    this.savedRecentCounts.set(this.recentCounts);
    this.savedRecentCursor = this.recentCursor;
    this.savedFlashFreeAt = this.flashFreeAt;
  }

  override rollback(): void {
    this.freeAt.set(this.savedFreeAt);
    this.pipeAvailableAt.set(this.savedPipeAvailableAt);
    this.commands.set(this.savedCommandCounts);
    this.bytes.set(this.savedByteCounts);
    this.drawCursor = this.savedDrawCursor;
    this.recent.set(this.savedRecent);
    this.recentCounts.set(this.savedRecentCounts);
    this.recentCursor = this.savedRecentCursor;
    this.flashFreeAt = this.savedFlashFreeAt;
  }

  override idleFrom(): number {
    let latest = 0;
    for (let i = 0; i < this.channels; i++) if (this.freeAt[i] > latest) latest = this.freeAt[i];
    return latest;
  }
}

function smallestBlock(profile: NvmeProfile, direction: Direction): number {
  return Math.min(...profile.curves.filter((curve) => curve.direction === direction).map((curve) => curve.blockBytes));
}

// The mixed-workload curve nearest a 50/50 mix, or null when the profile measured no mix.
function pickMixCurve(curves: LatencyCurve[], alone: LatencyCurve): LatencyCurve | null {
  let best: LatencyCurve | null = null;
  for (const curve of curves) {
    if (curve === alone || curve.readShare === 0 || curve.readShare === 1) continue;
    if (best === null || Math.abs(curve.readShare - 0.5) < Math.abs(best.readShare - 0.5)) best = curve;
  }
  return best;
}

function nearestPointIndex(curve: LatencyCurve, depth: number): number {
  let best = 0;
  for (let i = 1; i < curve.points.length; i++) {
    if (Math.abs(Math.log2(curve.points[i].queueDepth / depth)) < Math.abs(Math.log2(curve.points[best].queueDepth / depth))) best = i;
  }
  return best;
}

/**
 * Builds an inverse-CDF table of SHAPE_STEPS latencies, relative to their mean, from percentiles:
 * linear between the measured percentile points, flat below the first and above the last (the
 * tail beyond the last percentile is not extrapolated).
 */
export function buildShapeTable(percentiles: readonly number[], clatNs: readonly number[]): Float64Array {
  const table = new Float64Array(SHAPE_STEPS);
  let upper = 0;
  let sum = 0;
  for (let step = 0; step < SHAPE_STEPS; step++) {
    const percent = ((step + 0.5) / SHAPE_STEPS) * 100;
    while (upper < percentiles.length && percentiles[upper] < percent) upper++;
    let value: number;
    if (upper === 0) value = clatNs[0];
    else if (upper === percentiles.length) value = clatNs[percentiles.length - 1];
    else {
      const t = (percent - percentiles[upper - 1]) / (percentiles[upper] - percentiles[upper - 1]);
      value = clatNs[upper - 1] + (clatNs[upper] - clatNs[upper - 1]) * t;
    }
    table[step] = value;
    sum += value;
  }
  const mean = sum / SHAPE_STEPS;
  for (let step = 0; step < SHAPE_STEPS; step++) table[step] /= mean;
  return table;
}

/** Returns the device spec of a profile, which `createDeviceQueue` serves with FittedNvmeQueue. */
export function profileDeviceSpec(profile: NvmeProfile): DeviceSpec {
  const lone = (direction: Direction): number => {
    const curves = selectCurves(profile, direction, false, smallestBlock(profile, direction));
    const alone = direction === 'read' ? curves[curves.length - 1] : curves[0];
    return alone.points[0].responseNs;
  };
  return {
    name: profile.name,
    description: profile.description,
    source: profile.source,
    channels: profile.channels,
    // Figures for code that reads a DeviceSpec without the profile: the lone-command response time.
    read: { latencyNs: lone('read'), bytesPerSec: profile.read.bytesPerSec, commandsPerSec: Infinity },
    write: { latencyNs: lone('write'), bytesPerSec: profile.write.bytesPerSec, commandsPerSec: Infinity },
    capacityBytes: profile.capacityBytes ?? undefined,
    rawCapacityBytes: profile.rawCapacityBytes ?? undefined,
    ratedDwpd: profile.ratedDwpd ?? undefined,
    warrantyYears: profile.warrantyYears ?? undefined,
    profile,
  };
}

/** Creates the queue that serves `spec`: FittedNvmeQueue for a fitted profile, DeviceQueue otherwise. */
export function createDeviceQueue(spec: DeviceSpec, random: () => number): DeviceQueue {
  return spec.profile === undefined ? new DeviceQueue(spec) : new FittedNvmeQueue(spec, random);
}
