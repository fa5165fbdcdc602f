// Drives a DeviceQueue with a closed loop of outstanding commands, as fio does at a fixed iodepth:
// `queueDepth` commands are submitted at time 0 and each completion submits the next command at
// its completion instant. DeviceQueue's pipe is FCFS, so commands complete in submission order and
// the oldest outstanding command is always the next to complete. A FIFO of completion instants is
// therefore the whole event queue.

import { DeviceQueue, type DeviceSpec, type Operation } from '../../devices/device.js';

export interface ClosedLoopResult {
  /** Completed commands per second over the measured commands. */
  iops: number;
  /** Bytes per second over the measured commands. */
  bytesPerSec: number;
  /** Mean time from submission to completion of the measured commands, in nanoseconds. */
  meanLatencyNs: number;
}

/**
 * Runs about `warmupCommands` unmeasured commands, then measures about `measuredCommands` more. Both
 * counts are rounded up to whole multiples of `queueDepth`, because completions can arrive in
 * bunches of up to queueDepth at one instant, and a window that cut a bunch would bias the rate.
 */
export function runClosedLoop(
  spec: DeviceSpec,
  op: Operation,
  commandBytes: number,
  queueDepth: number,
  requestedMeasuredCommands: number,
  requestedWarmupCommands = Math.max(10 * queueDepth, 1000),
): ClosedLoopResult {
  const measuredCommands = Math.ceil(requestedMeasuredCommands / queueDepth) * queueDepth;
  const warmupCommands = Math.ceil(requestedWarmupCommands / queueDepth) * queueDepth;
  const queue = new DeviceQueue(spec);
  const submittedAt = new Float64Array(queueDepth);
  const completesAt = new Float64Array(queueDepth);
  for (let slot = 0; slot < queueDepth; slot++) {
    submittedAt[slot] = 0;
    completesAt[slot] = queue.submit(op, 0, commandBytes);
  }

  // Slots form a ring in submission order; `oldest` is the next command to complete.
  let oldest = 0;
  let measureStartAt = 0;
  let latencySumNs = 0;
  let lastCompletionAt = 0;
  const totalCommands = warmupCommands + measuredCommands;
  for (let completed = 0; completed < totalCommands; completed++) {
    const completionAt = completesAt[oldest];
    if (completed === warmupCommands - 1) measureStartAt = completionAt;
    if (completed >= warmupCommands) latencySumNs += completionAt - submittedAt[oldest];
    lastCompletionAt = completionAt;

    submittedAt[oldest] = completionAt;
    completesAt[oldest] = queue.submit(op, completionAt, commandBytes);
    oldest = (oldest + 1) % queueDepth;
  }

  const elapsedSeconds = (lastCompletionAt - measureStartAt) / 1e9;
  const iops = measuredCommands / elapsedSeconds;
  return { iops, bytesPerSec: iops * commandBytes, meanLatencyNs: latencySumNs / measuredCommands };
}
