// The fitted NVMe model: a DeviceQueue whose per-command latency follows a fitted profile.
//
// A command submitted at `at` takes the earliest-free of `channels` command slots. Its bytes beyond
// the profile's measured command size pass through the direction's FCFS bandwidth pipe first; then
// it waits a latency drawn for the number n of commands in service at its start (itself included):
//   latency = meanResponse(n) x interference x shape
// meanResponse(n) is the direction's response-time curve at queue depth n, from the runs of that
// direction alone. interference raises it toward the curve of the 50/50 mix as the other direction's
// share of the commands in service grows to a half (read latency rising under writes). shape is drawn
// from the completion-latency percentiles at the nearest measured depth, normalised to mean 1, so
// a closed loop at depth n completes n / meanResponse(n) commands per second on average, as fio
// measured. Writes beyond the write cache pass the pipe at the sustained write rate instead.
//
// The pipe comes before the latency so that one slow draw does not hold up the commands queued
// behind it in the pipe. Latency draws take uniform indexes from a table filled at construction by
// the seeded generator, so `checkpoint` and `rollback` restore the draws along with the queue.

import { DeviceQueue, Operation, type DeviceSpec } from './device.js';
import { evaluateCurve, selectCurves, type Direction, type LatencyCurve, type NvmeProfile } from './nvme-profile.js';

/** Quantile steps of each latency-shape table. */
const SHAPE_STEPS = 1024;
/** Uniform draws precomputed per queue; the draws repeat after this many commands. */
const DRAW_TABLE_SIZE = 1 << 18;

export class FittedNvmeQueue extends DeviceQueue {
  readonly profile: NvmeProfile;

  private readonly channels: number;
  /** Drives striped together; queue depth per drive indexes the curves. */
  private readonly drives: number;
  private readonly maxDepth: number;
  // Channel heap: the instant each slot frees and the operation it serves, kept in step.
  private readonly freeAt: Float64Array;
  private readonly operationAt: Uint8Array;
  private readonly pipeFreeAt = new Float64Array(2);
  private readonly nsPerByte = new Float64Array(2);
  private readonly curveBlockBytes = new Float64Array(2);
  // Indexed by operation * (maxDepth + 1) + depth.
  private readonly meanResponseNs: Float64Array;
  private readonly mixFactor: Float64Array;
  private readonly shapeOffset: Int32Array;
  private readonly shapes: Float64Array;
  private readonly draws: Uint16Array;
  private drawCursor = 0;
  private readonly writeCacheBytes: number;
  private readonly nsPerSustainedByte: number;
  private readonly drainBytesPerNs: number;
  private cacheFillBytes = 0;
  private cacheFillAt = 0;

  private readonly savedFreeAt: Float64Array;
  private readonly savedOperationAt: Uint8Array;
  private readonly savedPipeFreeAt = new Float64Array(2);
  private readonly savedCommands = new Float64Array(2);
  private readonly savedBytes = new Float64Array(2);
  private savedDrawCursor = 0;
  private savedCacheFillBytes = 0;
  private savedCacheFillAt = 0;

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
    this.operationAt = new Uint8Array(this.channels);
    this.savedFreeAt = new Float64Array(this.channels);
    this.savedOperationAt = new Uint8Array(this.channels);

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
      this.curveBlockBytes[op] = alone.blockBytes;
      this.nsPerByte[op] = 1e9 / (spec.channels === profile.channels ? profile[direction].bytesPerSec : profile[direction].bytesPerSec * this.drives);
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
    this.writeCacheBytes = hasCache ? (write.writeCacheBytes as number) * this.drives : Infinity;
    this.nsPerSustainedByte = hasCache ? 1e9 / ((write.sustainedBytesPerSec as number) * this.drives) : 0;
    this.drainBytesPerNs = hasCache ? ((write.sustainedBytesPerSec as number) * this.drives) / 1e9 : 0;
  }

  override submit(op: Operation, at: number, bytes: number): number {
    const freeAt = this.freeAt;
    const start = at > freeAt[0] ? at : freeAt[0];

    // Commands in service at `start`, and how many of them are writes.
    let inService = 1;
    let writes = 0;
    for (let i = 0; i < this.channels; i++) {
      if (freeAt[i] > start) {
        inService++;
        writes += this.operationAt[i];
      }
    }
    const others = op === Operation.Read ? writes : inService - 1 - writes;
    let depth = Math.ceil(inService / this.drives);
    if (depth > this.maxDepth) depth = this.maxDepth;
    const index = op * (this.maxDepth + 1) + depth;
    // The mix curves were measured with the other direction at half the commands.
    const otherShare = (2 * others) / inService;
    const interference = 1 + (this.mixFactor[index] - 1) * (otherShare < 1 ? otherShare : 1);
    const latencyNs = this.meanResponseNs[index] * interference * this.shapes[this.shapeOffset[index] + this.draws[this.drawCursor]];
    this.drawCursor = (this.drawCursor + 1) & (DRAW_TABLE_SIZE - 1);

    const extraBytes = bytes > this.curveBlockBytes[op] ? bytes - this.curveBlockBytes[op] : 0;
    let occupancyNs = extraBytes * this.nsPerByte[op];
    if (op === Operation.Write && this.writeCacheBytes !== Infinity) {
      const drained = this.cacheFillBytes - (start - this.cacheFillAt) * this.drainBytesPerNs;
      this.cacheFillBytes = (drained > 0 ? drained : 0) + bytes;
      this.cacheFillAt = start;
      if (this.cacheFillBytes > this.writeCacheBytes) {
        this.cacheFillBytes = this.writeCacheBytes;
        const sustainedNs = bytes * this.nsPerSustainedByte;
        if (sustainedNs > occupancyNs) occupancyNs = sustainedNs;
      }
    }
    const pipeStart = start > this.pipeFreeAt[op] ? start : this.pipeFreeAt[op];
    const pipeEnd = pipeStart + occupancyNs;
    this.pipeFreeAt[op] = pipeEnd;
    const end = Math.ceil(pipeEnd + latencyNs);

    this.replaceEarliest(end, op);
    this.commands[op] += 1;
    this.bytes[op] += bytes;
    return end;
  }

  override checkpoint(): void {
    this.savedFreeAt.set(this.freeAt);
    this.savedOperationAt.set(this.operationAt);
    this.savedPipeFreeAt.set(this.pipeFreeAt);
    this.savedCommands.set(this.commands);
    this.savedBytes.set(this.bytes);
    this.savedDrawCursor = this.drawCursor;
    this.savedCacheFillBytes = this.cacheFillBytes;
    this.savedCacheFillAt = this.cacheFillAt;
  }

  override rollback(): void {
    this.freeAt.set(this.savedFreeAt);
    this.operationAt.set(this.savedOperationAt);
    this.pipeFreeAt.set(this.savedPipeFreeAt);
    this.commands.set(this.savedCommands);
    this.bytes.set(this.savedBytes);
    this.drawCursor = this.savedDrawCursor;
    this.cacheFillBytes = this.savedCacheFillBytes;
    this.cacheFillAt = this.savedCacheFillAt;
  }

  override idleFrom(): number {
    let latest = 0;
    for (let i = 0; i < this.channels; i++) if (this.freeAt[i] > latest) latest = this.freeAt[i];
    return latest;
  }

  // Replaces the heap's root (the earliest-free slot) by a slot freeing at `end` and sifts it down.
  private replaceEarliest(end: number, op: Operation): void {
    const heap = this.freeAt;
    const operations = this.operationAt;
    const size = heap.length;
    let position = 0;
    for (;;) {
      let child = 2 * position + 1;
      if (child >= size) break;
      if (child + 1 < size && heap[child + 1] < heap[child]) child++;
      if (heap[child] >= end) break;
      heap[position] = heap[child];
      operations[position] = operations[child];
      position = child;
    }
    heap[position] = end;
    operations[position] = op;
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
