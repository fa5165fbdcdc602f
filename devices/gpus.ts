// GPU presets: HBM capacity and bandwidth, dense tensor-core throughput, and the PCIe generation of
// the host link. Figures are NVIDIA's published values. NVIDIA lists tensor-core FLOPS with 2:4
// structured sparsity, so the dense figures here are half of the listed ones.

import type { DeviceSpec } from './device.js';
import { DevicePresetError } from './presets.js';

export interface GpuSpec {
  /** Preset name, for example `h100`. */
  name: string;
  /** Short description of the GPU. */
  description: string;
  /** Source of the figures: a datasheet or article, with a date. */
  source: string;
  /** HBM capacity in bytes (decimal, as the datasheet states it). */
  hbmBytes: number;
  /** Peak HBM bandwidth in bytes per second. */
  hbmBytesPerSec: number;
  /** Dense BF16 tensor-core throughput in FLOP per second, without sparsity. */
  bf16FlopsPerSec: number;
  /** Dense FP8 tensor-core throughput in FLOP per second, without sparsity. */
  fp8FlopsPerSec: number;
  /** PCIe generation of the host link (5 for PCIe 5.0 x16). */
  pcieGeneration: number;
}

const PRESETS: GpuSpec[] = [
  {
    name: 'h100',
    description: 'NVIDIA H100 SXM5 80 GB, HBM3',
    source:
      'NVIDIA H100 datasheet table (2022) as reproduced by HPC Technologies (hpctech.co.jp), SXM column: 80 GB HBM3, ' +
      '3,350 GB/s, BF16 1,979 and FP8 3,958 TFLOPS with sparsity (989.5 and 1,979 dense), PCIe Gen5',
    hbmBytes: 80e9,
    hbmBytesPerSec: 3.35e12,
    bf16FlopsPerSec: 989.5e12,
    fp8FlopsPerSec: 1979e12,
    pcieGeneration: 5,
  },
  {
    name: 'h200',
    description: 'NVIDIA H200 SXM 141 GB, HBM3e (H100 compute with larger, faster memory)',
    source:
      'NVIDIA H200 SXM figures announced November 2023, as reported by AI Wiki (aiwiki.ai) and an 8x H200 guide ' +
      '(ai-hpc.github.io): 141 GB HBM3e, 4.8 TB/s, the H100 SXM compute (BF16 1,979 and FP8 3,958 TFLOPS with sparsity, ' +
      '989.5 and 1,979 dense), PCIe Gen5',
    hbmBytes: 141e9,
    hbmBytesPerSec: 4.8e12,
    bf16FlopsPerSec: 989.5e12,
    fp8FlopsPerSec: 1979e12,
    pcieGeneration: 5,
  },
];

export const GPUS: readonly GpuSpec[] = Object.freeze(PRESETS.map((gpu) => Object.freeze(gpu)));

/** Returns the GPU preset named `name`; throws an error with code ERR_KVTIER_INPUT listing the known names when there is none. */
export function getGpu(name: string): GpuSpec {
  const gpu = GPUS.find((candidate) => candidate.name === name);
  if (gpu === undefined) {
    const known = GPUS.map((candidate) => candidate.name).join(', ');
    throw new DevicePresetError(`unknown GPU "${name}": expected one of ${known}`);
  }
  return gpu;
}

// Copies in flight at once and the per-copy start-up latency. Both are estimates: the DeviceQueue
// channels here stand for concurrent copy kernels or copy-engine transfers, not HBM pseudo-channels.
const HBM_CHANNELS = 16;
const HBM_LATENCY_NS = 500;

/**
 * Describes the GPU's HBM as a DeviceSpec, for KV copies inside GPU memory.
 *
 * NOTE: both pipes run at the datasheet peak, and reads and writes each get a full pipe. Copies on
 * a real GPU reach a smaller share of the peak, and reads and writes share one memory system.
 */
export function hbmDevice(gpu: GpuSpec): DeviceSpec {
  return {
    name: `${gpu.name}-hbm`,
    description: `HBM of ${gpu.description}`,
    source: `${gpu.source}; ${HBM_CHANNELS} concurrent copies and ${HBM_LATENCY_NS} ns per copy are estimates`,
    channels: HBM_CHANNELS,
    read: { latencyNs: HBM_LATENCY_NS, bytesPerSec: gpu.hbmBytesPerSec, commandsPerSec: Infinity },
    write: { latencyNs: HBM_LATENCY_NS, bytesPerSec: gpu.hbmBytesPerSec, commandsPerSec: Infinity },
    capacityBytes: gpu.hbmBytes,
  };
}
