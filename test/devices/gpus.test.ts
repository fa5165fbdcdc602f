// GPU presets against NVIDIA's published figures, and the HBM device derived from them.

import { describe, expect, it } from 'vitest';
import { Operation } from '../../devices/device.js';
import { GPUS, getGpu, hbmDevice } from '../../devices/gpus.js';
import { runClosedLoop } from './closed-loop.js';

describe('GPU presets', () => {
  // NVIDIA H100 SXM: 80 GB, 3,350 GB/s, 1,979 BF16 TFLOPS with sparsity (2022).
  it('h100 matches the H100 SXM figures', () => {
    const gpu = getGpu('h100');
    expect(gpu.hbmBytes).toBe(80e9);
    expect(gpu.hbmBytesPerSec).toBe(3.35e12);
    expect(gpu.bf16FlopsPerSec).toBe(1979e12 / 2);
    expect(gpu.fp8FlopsPerSec).toBe(3958e12 / 2);
    expect(gpu.pcieGeneration).toBe(5);
  });

  // NVIDIA H200 SXM: 141 GB HBM3e, 4.8 TB/s, the H100's compute (November 2023).
  it('h200 matches the H200 SXM figures', () => {
    const gpu = getGpu('h200');
    expect(gpu.hbmBytes).toBe(141e9);
    expect(gpu.hbmBytesPerSec).toBe(4.8e12);
    expect(gpu.bf16FlopsPerSec).toBe(getGpu('h100').bf16FlopsPerSec);
    expect(gpu.fp8FlopsPerSec).toBe(getGpu('h100').fp8FlopsPerSec);
  });

  it('every preset names its source with a year', () => {
    for (const gpu of GPUS) expect(gpu.source, gpu.name).toMatch(/\b20\d\d\b/);
  });

  it('unknown name lists the known names', () => {
    expect(() => getGpu('a100')).toThrow(/unknown GPU "a100": expected one of h100, h200/);
  });

  it('unknown name is an input error', () => {
    try {
      getGpu('a100');
      expect.unreachable();
    } catch (error) {
      expect((error as { code?: string }).code).toBe('ERR_KVTIER_INPUT');
    }
  });
});

describe('hbmDevice', () => {
  it('carries the capacity and names the GPU', () => {
    const device = hbmDevice(getGpu('h200'));
    expect(device.name).toBe('h200-hbm');
    expect(device.capacityBytes).toBe(141e9);
  });

  it('large copies run at the HBM bandwidth', () => {
    const device = hbmDevice(getGpu('h100'));
    const result = runClosedLoop(device, Operation.Read, 256 << 20, 8, 200);
    expect(Math.abs(result.bytesPerSec / 3.35e12 - 1)).toBeLessThan(0.01);
  });
});
