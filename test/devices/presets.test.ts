// Device presets against the figures they were built from: each NVMe preset, driven by a closed
// loop at high queue depth, must reproduce its datasheet's 4 KiB random IOPS and its sequential
// bandwidth with 1 MiB commands.

import { describe, expect, it } from 'vitest';
import { Operation } from '../../devices/device.js';
import { fileURLToPath } from 'node:url';
import { DEVICE_PRESETS, getDevicePreset, getStorageDevice, predictIops } from '../../devices/presets.js';
import { runClosedLoop } from './closed-loop.js';

// Datasheet figures, decimal units:
// - pblaze7-7a40: Memblaze PBlaze7 7A40 7.68 TB as quoted by Memblaze (2025).
// - pm9a3: Samsung PM9A3 U.2 launch figures as reported by heise and ComputerBase (May 2020).
// - d5-p5336: Solidigm D5-P5336 61.44 TB as reported by Architecting IT (August 2024).
const DATASHEETS = [
  { name: 'pblaze7-7a40', readIops: 3.3e6, writeIops: 1.0e6, readBytesPerSec: 14e9, writeBytesPerSec: 11e9 },
  { name: 'pm9a3', readIops: 900e3, writeIops: 200e3, readBytesPerSec: 6.5e9, writeBytesPerSec: 3.5e9 },
  { name: 'd5-p5336', readIops: 1.005e6, writeIops: 38e3, readBytesPerSec: 7.0e9, writeBytesPerSec: 3.3e9 },
];

// The model rounds each completion up to a whole nanosecond, which costs up to 0.4% at 3.3 M IOPS
// (303.03 ns becomes 304 ns per command); 1% leaves room for that and nothing else.
const TOLERANCE = 0.01;
const HIGH_QUEUE_DEPTH = 512;
const KIB_4 = 4096;
const MIB_1 = 1 << 20;

function relativeError(measured: number, expected: number): number {
  return Math.abs(measured / expected - 1);
}

describe('NVMe presets reproduce their datasheets', () => {
  it('every NVMe preset has a datasheet row here', () => {
    // Fitted presets carry a profile and are checked against their fio measurements instead.
    const nvme = DEVICE_PRESETS.filter((preset) => preset.kind === 'nvme' && preset.profile === undefined).map((preset) => preset.name);
    expect(nvme.sort()).toEqual(DATASHEETS.map((row) => row.name).sort());
  });

  for (const datasheet of DATASHEETS) {
    const preset = getDevicePreset(datasheet.name);

    it(`${datasheet.name} 4 KiB random read IOPS`, () => {
      const result = runClosedLoop(preset, Operation.Read, KIB_4, HIGH_QUEUE_DEPTH, 20_000);
      expect(relativeError(result.iops, datasheet.readIops)).toBeLessThan(TOLERANCE);
    });

    it(`${datasheet.name} 4 KiB random write IOPS`, () => {
      const result = runClosedLoop(preset, Operation.Write, KIB_4, HIGH_QUEUE_DEPTH, 20_000);
      expect(relativeError(result.iops, datasheet.writeIops)).toBeLessThan(TOLERANCE);
    });

    it(`${datasheet.name} 1 MiB sequential read bandwidth`, () => {
      const result = runClosedLoop(preset, Operation.Read, MIB_1, 64, 2_000);
      expect(relativeError(result.bytesPerSec, datasheet.readBytesPerSec)).toBeLessThan(TOLERANCE);
    });

    it(`${datasheet.name} 1 MiB sequential write bandwidth`, () => {
      const result = runClosedLoop(preset, Operation.Write, MIB_1, 64, 2_000);
      expect(relativeError(result.bytesPerSec, datasheet.writeBytesPerSec)).toBeLessThan(TOLERANCE);
    });

    it(`${datasheet.name} reaches its read IOPS by queue depth 256`, () => {
      // Datasheets quote random IOPS at queue depths of a few hundred at most, so the channels
      // must not hold the model below the ceiling there.
      expect(relativeError(predictIops(preset, Operation.Read, KIB_4, 256), datasheet.readIops)).toBeLessThan(TOLERANCE);
    });
  }

  it('pm9a3 at queue depth 1 costs its read latency', () => {
    const preset = getDevicePreset('pm9a3');
    const result = runClosedLoop(preset, Operation.Read, KIB_4, 1, 1_000);
    expect(result.meanLatencyNs).toBe(preset.read.latencyNs + Math.ceil(1e9 / preset.read.commandsPerSec));
  });
});

describe('link and DRAM presets', () => {
  const cases = [
    { name: 'pcie5-x16', bytesPerSec: 53e9 },
    { name: 'pcie4-x16', bytesPerSec: 26e9 },
    { name: 'ddr5-host', bytesPerSec: 230e9 },
  ];
  for (const { name, bytesPerSec } of cases) {
    it(`${name} moves large transfers at its stated bandwidth both ways`, () => {
      const preset = getDevicePreset(name);
      for (const op of [Operation.Read, Operation.Write]) {
        const result = runClosedLoop(preset, op, 64 * MIB_1, 8, 400);
        expect(relativeError(result.bytesPerSec, bytesPerSec)).toBeLessThan(TOLERANCE);
      }
    });
  }

  it('PCIe 5.0 preset stays below the 63.0 GB/s raw link rate', () => {
    const rawBytesPerSec = (32e9 * 16 * 128) / 130 / 8;
    expect(getDevicePreset('pcie5-x16').read.bytesPerSec).toBeLessThan(rawBytesPerSec);
  });
});

describe('DEVICE_PRESETS', () => {
  it('every preset names its source with a year', () => {
    for (const preset of DEVICE_PRESETS) {
      expect(preset.source, preset.name).toMatch(/\b(19|20)\d\d\b/);
    }
  });

  it('every preset has a description', () => {
    for (const preset of DEVICE_PRESETS) expect(preset.description.length, preset.name).toBeGreaterThan(0);
  });

  it('names are unique', () => {
    const names = DEVICE_PRESETS.map((preset) => preset.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('datasheet NVMe presets state their capacity', () => {
    for (const preset of DEVICE_PRESETS.filter((candidate) => candidate.kind === 'nvme' && candidate.profile === undefined)) {
      expect(preset.capacityBytes, preset.name).toBeGreaterThan(1e12);
    }
  });

  it('presets are frozen', () => {
    expect(Object.isFrozen(getDevicePreset('pm9a3'))).toBe(true);
    expect(Object.isFrozen(getDevicePreset('pm9a3').read)).toBe(true);
  });
});

describe('getDevicePreset', () => {
  it('unknown name lists the known names', () => {
    expect(() => getDevicePreset('pm1733')).toThrow(/unknown device preset "pm1733": expected one of .*pblaze7-7a40/);
  });

  it('unknown name is an input error', () => {
    try {
      getDevicePreset('pm1733');
      expect.unreachable();
    } catch (error) {
      expect((error as { code?: string }).code).toBe('ERR_KVTIER_INPUT');
    }
  });
});

describe('fitted presets', () => {
  it('load their profiles', () => {
    for (const name of ['sabrent-rocket4plus-2tb', 'local-virtio']) {
      const preset = getDevicePreset(name);
      expect(preset.kind).toBe('nvme');
      expect(preset.profile?.name).toBe(name);
    }
  });

  it('sabrent-rocket4plus-2tb has its datasheet bandwidths', () => {
    const preset = getDevicePreset('sabrent-rocket4plus-2tb');
    expect(preset.read.bytesPerSec).toBe(7.1e9);
    expect(preset.write.bytesPerSec).toBe(6.6e9);
    expect(preset.capacityBytes).toBe(2e12);
  });
});

describe('getStorageDevice', () => {
  it('loads a profile path', () => {
    const path = fileURLToPath(new URL('../../devices/profiles/local-virtio.json', import.meta.url));
    expect(getStorageDevice(path).profile?.name).toBe('local-virtio');
  });

  it('names a missing profile file', () => {
    expect(() => getStorageDevice('/nonexistent/drive.json')).toThrow(/cannot read NVMe profile \/nonexistent\/drive\.json/);
  });

  it('passes preset names through', () => {
    expect(getStorageDevice('pm9a3').name).toBe('pm9a3');
  });
});
