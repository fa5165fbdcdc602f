// Device presets for the DeviceQueue model (host DRAM, PCIe links, NVMe SSDs) and the closed-form
// steady state of that model under a closed loop of outstanding commands.
//
// Each NVMe preset is sized so that the model reproduces its datasheet. `bytesPerSec` is the
// sequential figure and `commandsPerSec` the 4 KiB random IOPS. `channels` / `latencyNs` exceeds
// that IOPS, so the command-rate ceiling, not the channels, limits small commands at high queue
// depth. Datasheets give no per-command latency, so every `latencyNs` here is an estimate, and the
// `source` text says so.

import { Operation, type DeviceSpec, type OperationSpec } from './device.js';
import { loadNvmeProfile, parseNvmeProfile } from './nvme-profile.js';
import { profileDeviceSpec } from './nvme-queue.js';
import localVirtio from './profiles/local-virtio.json' with { type: 'json' };
import sabrentRocket4Plus2tb from './profiles/sabrent-rocket4plus-2tb.json' with { type: 'json' };

/**
 * Unknown device preset or invalid device-model input. Errors whose `code` is `ERR_KVTIER_INPUT`
 * are the user's to fix, and the CLI exits with status 2 on them.
 */
export class DevicePresetError extends Error {
  readonly code = 'ERR_KVTIER_INPUT';

  constructor(message: string) {
    super(message);
    this.name = 'DevicePresetError';
  }
}

export type DeviceKind = 'dram' | 'link' | 'nvme';

export interface DevicePreset extends DeviceSpec {
  kind: DeviceKind;
}

const PRESETS: DevicePreset[] = [
  {
    name: 'ddr5-host',
    kind: 'dram',
    description: 'host DDR5 memory, one socket with 8 channels of DDR5-4800',
    source:
      'JEDEC DDR5 standard JESD79-5 (2020) arithmetic for DDR5-4800: 4800 MT/s x 8 bytes x 8 channels = 307.2 GB/s theoretical per socket; the 230 GB/s used ' +
      '(75% of it) and the 100 ns latency are estimates of what a server socket sustains, not measurements',
    channels: 8,
    // NOTE: reads and writes each get their own 230 GB/s pipe in this model, but real DRAM shares one
    // bus, so a mix of reads and writes is served faster here than on the machine.
    read: { latencyNs: 100, bytesPerSec: 230e9, commandsPerSec: Infinity },
    write: { latencyNs: 100, bytesPerSec: 230e9, commandsPerSec: Infinity },
  },
  {
    name: 'pcie5-x16',
    kind: 'link',
    description: 'PCIe 5.0 x16 link between host memory and the GPU; read = host to device, write = device to host',
    source:
      'PCIe 5.0 specification (2019) arithmetic: 32 GT/s x 16 lanes x 128/130 encoding = 63.0 GB/s per direction; 53 GB/s used, an estimate of ' +
      'pinned-memory cudaMemcpy throughput (an nvbandwidth host_to_device_memcpy_ce example reports 55.6 GB/s, hardware not stated); ' +
      'the 2 us per-transfer setup latency and 4 concurrent transfers are estimates',
    channels: 4,
    read: { latencyNs: 2_000, bytesPerSec: 53e9, commandsPerSec: Infinity },
    write: { latencyNs: 2_000, bytesPerSec: 53e9, commandsPerSec: Infinity },
  },
  {
    name: 'pcie4-x16',
    kind: 'link',
    description: 'PCIe 4.0 x16 link between host memory and the GPU; read = host to device, write = device to host',
    source:
      'PCIe 4.0 specification (2017) arithmetic: 16 GT/s x 16 lanes x 128/130 encoding = 31.5 GB/s per direction; 26 GB/s used, an estimate at the ' +
      'same efficiency as pcie5-x16; the 2 us per-transfer setup latency and 4 concurrent transfers are estimates',
    channels: 4,
    read: { latencyNs: 2_000, bytesPerSec: 26e9, commandsPerSec: Infinity },
    write: { latencyNs: 2_000, bytesPerSec: 26e9, commandsPerSec: Infinity },
  },
  {
    name: 'pblaze7-7a40',
    kind: 'nvme',
    description: 'Memblaze PBlaze7 7A40 7.68 TB, PCIe 5.0 x4 TLC NVMe SSD',
    source:
      'Memblaze PBlaze7 7A40 specification as quoted by Memblaze (2025): 14 GB/s sequential read, 11 GB/s sequential write, ' +
      '3.3 M 4 KiB random-read IOPS, 1.0 M 4 KiB random-write IOPS, 7.68 TB capacity point; ' +
      'latencies (70 us read, 15 us write) and 256 channels are estimates',
    // NOTE: these figures were not checked against a Memblaze datasheet; other capacity points differ.
    channels: 256,
    read: { latencyNs: 70_000, bytesPerSec: 14e9, commandsPerSec: 3.3e6 },
    write: { latencyNs: 15_000, bytesPerSec: 11e9, commandsPerSec: 1.0e6 },
    capacityBytes: 7.68e12,
    // Estimate: the binary flash capacity that this decimal user capacity is usually carved from.
    rawCapacityBytes: 8 * 2 ** 40,
  },
  {
    name: 'pm9a3',
    kind: 'nvme',
    description: 'Samsung PM9A3 3.84 TB U.2, PCIe 4.0 x4 TLC datacenter NVMe SSD',
    source:
      'Samsung PM9A3 U.2 figures from the launch datasheet as reported by heise and ComputerBase, May 2020: up to 6.5 GB/s ' +
      'sequential read, 3.5 GB/s sequential write, 900 K random-read IOPS, 200 K random-write IOPS; ' +
      'latencies (80 us read, 20 us write) and 128 channels are estimates',
    // NOTE: the launch figures are the U.2 series' maxima; the 3.84 TB point's own datasheet line may
    // differ by some percent.
    channels: 128,
    read: { latencyNs: 80_000, bytesPerSec: 6.5e9, commandsPerSec: 900e3 },
    write: { latencyNs: 20_000, bytesPerSec: 3.5e9, commandsPerSec: 200e3 },
    capacityBytes: 3.84e12,
    // Estimate: the binary flash capacity that this decimal user capacity is usually carved from.
    rawCapacityBytes: 4 * 2 ** 40,
  },
  {
    name: 'd5-p5336',
    kind: 'nvme',
    description: 'Solidigm D5-P5336 61.44 TB, PCIe 4.0 x4 QLC NVMe SSD, read-optimised with low random-write IOPS',
    source:
      'Solidigm D5-P5336 61.44 TB figures as reported by Architecting IT, August 2024: 7.0 GB/s sequential read, 3.3 GB/s ' +
      'sequential write, 1,005 K random-read IOPS, 38 K random-write IOPS; latencies (110 us read, 30 us write) and 128 channels ' +
      'are estimates',
    channels: 128,
    read: { latencyNs: 110_000, bytesPerSec: 7.0e9, commandsPerSec: 1.005e6 },
    // The 38 K random-write ceiling is about 26 times below the read ceiling, so write-through or
    // small-block demotion to this drive is the expensive case.
    // NOTE: the command-rate ceiling applies to every command size, so writes of 16-128 KiB are
    // capped at 38 K commands per second too, which is likely pessimistic for them.
    write: { latencyNs: 30_000, bytesPerSec: 3.3e9, commandsPerSec: 38e3 },
    capacityBytes: 61.44e12,
    // Estimate: the binary flash capacity that this decimal user capacity is usually carved from.
    rawCapacityBytes: 64 * 2 ** 40,
  },
];

// Profiles fitted by `kvtier calibrate --from-fio` from fio measurements; docs/devices.md gives
// the commands that produced them and the fit of every measured point.
const FITTED_PROFILES: [unknown, string][] = [
  [sabrentRocket4Plus2tb, 'devices/profiles/sabrent-rocket4plus-2tb.json'],
  [localVirtio, 'devices/profiles/local-virtio.json'],
];
for (const [profile, file] of FITTED_PROFILES) PRESETS.push({ ...profileDeviceSpec(parseNvmeProfile(profile, file)), kind: 'nvme' });

export const DEVICE_PRESETS: readonly DevicePreset[] = Object.freeze(
  PRESETS.map((preset) => Object.freeze({ ...preset, read: Object.freeze(preset.read), write: Object.freeze(preset.write) })),
);

/** Returns the device preset named `name`; throws a DevicePresetError listing the known names when there is none. */
export function getDevicePreset(name: string): DevicePreset {
  const preset = DEVICE_PRESETS.find((candidate) => candidate.name === name);
  if (preset === undefined) {
    const known = DEVICE_PRESETS.map((candidate) => candidate.name).join(', ');
    throw new DevicePresetError(`unknown device preset "${name}": expected one of ${known}`);
  }
  return preset;
}

/**
 * Computes the steady-state command rate, in commands per second, of a DeviceQueue that serves a
 * closed loop of `queueDepth` outstanding commands of `commandBytes` each (a new command is
 * submitted the instant one completes, as fio does at a fixed iodepth).
 *
 * With k = min(channels, queueDepth) commands in service, each holding a channel for its latency
 * plus its pipe occupancy, and the pipe serving one command at a time:
 *   rate = min(1 / pipeNs, k / responseNs)
 * where pipeNs = ceil(max(bytes / bytesPerSec, 1 / commandsPerSec)) and responseNs = ceil(latencyNs +
 * that occupancy). The ceilings mirror DeviceQueue, which rounds each completion up to whole
 * nanoseconds. The result is exact for integer `latencyNs`; a fractional latency can shift it by
 * under one nanosecond per command.
 */
export function predictIops(spec: DeviceSpec, op: Operation, commandBytes: number, queueDepth: number): number {
  validatePredictionInput(spec, op, commandBytes, queueDepth);
  const operation = operationSpec(spec, op);
  const occupancyNs = pipeOccupancyNs(operation, commandBytes);
  const pipeNs = Math.ceil(occupancyNs);
  const responseNs = Math.ceil(operation.latencyNs + occupancyNs);
  const inService = Math.min(spec.channels, queueDepth);

  const pipeLimit = pipeNs > 0 ? 1e9 / pipeNs : Infinity;
  const concurrencyLimit = (inService * 1e9) / responseNs;
  return Math.min(pipeLimit, concurrencyLimit);
}

/**
 * Computes the mean time from submission to completion, in nanoseconds, of the same closed loop as
 * `predictIops`. By Little's law it is queueDepth / rate, so commands beyond the channel count wait
 * for a channel and beyond the pipe's rate wait for the pipe.
 */
export function predictLatencyNs(spec: DeviceSpec, op: Operation, commandBytes: number, queueDepth: number): number {
  return (queueDepth * 1e9) / predictIops(spec, op, commandBytes, queueDepth);
}

/**
 * Returns the storage device a scenario names: a device preset, or a fitted NVMe profile when
 * `nameOrPath` ends in `.json` (a file written by `kvtier calibrate`).
 */
export function getStorageDevice(nameOrPath: string): DevicePreset {
  if (!nameOrPath.endsWith('.json')) return getDevicePreset(nameOrPath);
  return { ...profileDeviceSpec(loadNvmeProfile(nameOrPath)), kind: 'nvme' };
}

function operationSpec(spec: DeviceSpec, op: Operation): OperationSpec {
  return op === Operation.Read ? spec.read : spec.write;
}

// The time one command occupies the pipe, computed as DeviceQueue computes it, so that rounding agrees.
function pipeOccupancyNs(operation: OperationSpec, commandBytes: number): number {
  const transferNs = commandBytes * (1e9 / operation.bytesPerSec);
  const minNsPerCommand = Number.isFinite(operation.commandsPerSec) ? 1e9 / operation.commandsPerSec : 0;
  return Math.max(transferNs, minNsPerCommand);
}

function validatePredictionInput(spec: DeviceSpec, op: Operation, commandBytes: number, queueDepth: number): void {
  if (op !== Operation.Read && op !== Operation.Write) {
    throw new DevicePresetError(`invalid operation ${String(op)} for device "${spec.name}": expected 0 (read) or 1 (write)`);
  }
  if (!Number.isFinite(commandBytes) || commandBytes < 0) {
    throw new DevicePresetError(`invalid command size ${commandBytes} bytes for device "${spec.name}": expected a finite number >= 0`);
  }
  if (!Number.isInteger(queueDepth) || queueDepth < 1) {
    throw new DevicePresetError(`invalid queue depth ${queueDepth} for device "${spec.name}": expected an integer >= 1`);
  }
}
