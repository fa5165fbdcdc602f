// The parametric device model shared by host DRAM, the PCIe link and NVMe SSDs.
//
// A device has `channels` parallel command slots (NVMe queues and flash dies, DRAM banks, PCIe
// lanes as one slot) and one data pipe per operation. A command submitted at `at` takes the
// earliest-free channel, moves its bytes through the operation's pipe, which serves commands in
// submission order at `bytesPerSec` and admits at most `commandsPerSec` commands, then waits the
// operation's per-command latency, holding its channel until it completes. So a lone small command
// costs its latency, many small commands saturate at channels / latency or at the command-rate
// ceiling, and large commands at the bandwidth ceiling. The pipe comes before the latency so that
// a command with a long latency does not hold back the pipe for the commands submitted after it. Completion instants are computed when the command is submitted, which makes
// the model an FCFS reservation queue: no event per command, no allocation.
//
// NOTE: reservations are FCFS in submission order, so a command submitted later with an earlier
// `at` than a previous one queues behind it even if it could have used an idle gap.

import type { NvmeProfile } from './nvme-profile.js';

/** Read or write; on the PCIe link read is host-to-device and write is device-to-host. */
export const Operation = { Read: 0, Write: 1 } as const;
export type Operation = (typeof Operation)[keyof typeof Operation];

/** Per-operation parameters of a device. */
export interface OperationSpec {
  /** Time from a channel starting the command to its data being ready to move, in nanoseconds. */
  latencyNs: number;
  /** Ceiling of the operation's data pipe, in bytes per second (decimal). */
  bytesPerSec: number;
  /** Ceiling on commands per second for this operation, Infinity when only bandwidth limits it. */
  commandsPerSec: number;
}

export interface DeviceSpec {
  /** Preset name, for example `pblaze7-7a40`. */
  name: string;
  /** Short description of the device. */
  description: string;
  /** Source of the figures: a datasheet, an article or a measurement, with a date. */
  source: string;
  /** Commands that can be in service at once. */
  channels: number;
  read: OperationSpec;
  write: OperationSpec;
  /** Usable capacity in bytes, when the device is a storage device. */
  capacityBytes?: number;
  /** Flash capacity including over-provisioning, in bytes, for write amplification. */
  rawCapacityBytes?: number;
  /** Rated endurance: drive writes per day over `warrantyYears`. */
  ratedDwpd?: number;
  warrantyYears?: number;
  /** A fitted NVMe profile; when present, `createDeviceQueue` serves the device with FittedNvmeQueue. */
  profile?: NvmeProfile;
}

/** Returns a spec for `count` identical devices striped together (RAID 0). */
export function stripeDevices(spec: DeviceSpec, count: number): DeviceSpec {
  if (count === 1) return spec;
  const scale = (operation: OperationSpec): OperationSpec => ({
    latencyNs: operation.latencyNs,
    bytesPerSec: operation.bytesPerSec * count,
    commandsPerSec: operation.commandsPerSec * count,
  });
  return {
    ...spec,
    name: `${spec.name}x${count}`,
    description: `${count} x ${spec.description}, striped`,
    channels: spec.channels * count,
    read: scale(spec.read),
    write: scale(spec.write),
    capacityBytes: spec.capacityBytes === undefined ? undefined : spec.capacityBytes * count,
    rawCapacityBytes: spec.rawCapacityBytes === undefined ? undefined : spec.rawCapacityBytes * count,
  };
}

/** The queueing state of one device during a run. */
export class DeviceQueue {
  readonly spec: DeviceSpec;
  /** Commands and bytes completed per operation, indexed by `Operation`. */
  readonly commands = new Float64Array(2);
  readonly bytes = new Float64Array(2);

  // Min-heap of the instants at which each channel becomes free.
  private readonly channelFreeAt: Float64Array;
  private readonly pipeFreeAt = new Float64Array(2);
  private readonly latencyNs = new Float64Array(2);
  private readonly nsPerByte = new Float64Array(2);
  private readonly minNsPerCommand = new Float64Array(2);

  private readonly savedChannelFreeAt: Float64Array;
  private readonly savedPipeFreeAt = new Float64Array(2);
  private readonly savedCommands = new Float64Array(2);
  private readonly savedBytes = new Float64Array(2);

  constructor(spec: DeviceSpec) {
    this.spec = spec;
    this.channelFreeAt = new Float64Array(spec.channels);
    this.savedChannelFreeAt = new Float64Array(spec.channels);
    const operations = [spec.read, spec.write];
    for (let op = 0; op < 2; op++) {
      this.latencyNs[op] = operations[op].latencyNs;
      this.nsPerByte[op] = 1e9 / operations[op].bytesPerSec;
      this.minNsPerCommand[op] = Number.isFinite(operations[op].commandsPerSec) ? 1e9 / operations[op].commandsPerSec : 0;
    }
  }

  /**
   * Reserves one command of `bytes` submitted at `at` and returns its completion instant (integer
   * ns). `latencyNs`, when given, replaces the operation's per-command latency for this command, so
   * a caller can draw latencies from a distribution.
   */
  submit(op: Operation, at: number, bytes: number, latencyNs?: number): number {
    const channelFreeAt = this.channelFreeAt;
    const start = at > channelFreeAt[0] ? at : channelFreeAt[0];
    const transferNs = bytes * this.nsPerByte[op];
    const occupancyNs = transferNs > this.minNsPerCommand[op] ? transferNs : this.minNsPerCommand[op];
    const pipeStart = start > this.pipeFreeAt[op] ? start : this.pipeFreeAt[op];
    const pipeEnd = Math.ceil(pipeStart + occupancyNs);
    this.pipeFreeAt[op] = pipeEnd;
    const end = Math.ceil(pipeEnd + (latencyNs === undefined ? this.latencyNs[op] : latencyNs));
    replaceHeapRoot(this.channelFreeAt, end);
    this.commands[op] += 1;
    this.bytes[op] += bytes;
    return end;
  }

  /** Saves the queue state, so that `rollback` can undo trial submissions made to predict a completion. */
  checkpoint(): void {
    this.savedChannelFreeAt.set(this.channelFreeAt);
    this.savedPipeFreeAt.set(this.pipeFreeAt);
    this.savedCommands.set(this.commands);
    this.savedBytes.set(this.bytes);
  }

  rollback(): void {
    this.channelFreeAt.set(this.savedChannelFreeAt);
    this.pipeFreeAt.set(this.savedPipeFreeAt);
    this.commands.set(this.savedCommands);
    this.bytes.set(this.savedBytes);
  }

  /** Returns the instant from which every channel is idle. */
  idleFrom(): number {
    let latest = 0;
    for (let i = 0; i < this.channelFreeAt.length; i++) if (this.channelFreeAt[i] > latest) latest = this.channelFreeAt[i];
    return latest;
  }

}

/**
 * Replaces the root of a binary min-heap of instants (the earliest-free channel) by `value` and
 * sifts it down, moving a hole instead of swapping.
 */
export function replaceHeapRoot(heap: Float64Array, value: number): void {
  const size = heap.length;
  let position = 0;
  for (;;) {
    let child = 2 * position + 1;
    if (child >= size) break;
    if (child + 1 < size && heap[child + 1] < heap[child]) child++;
    if (heap[child] >= value) break;
    heap[position] = heap[child];
    position = child;
  }
  heap[position] = value;
}
