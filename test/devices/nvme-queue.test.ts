// FittedNvmeQueue, driven by a closed loop of outstanding commands as fio drives a drive, against
// the closed-form prediction of the same profile (predictFio) and against its own definition.

import seedrandom from 'seedrandom';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeviceQueue, Operation, stripeDevices, type Operation as OperationCode } from '../../devices/device.js';
import { readFioResults } from '../../devices/fio.js';
import { fitNvmeProfile } from '../../devices/nvme-fit.js';
import { predictFio, type NvmeProfile } from '../../devices/nvme-profile.js';
import { buildShapeTable, createDeviceQueue, FittedNvmeQueue, profileDeviceSpec } from '../../devices/nvme-queue.js';
import { getDevicePreset } from '../../devices/presets.js';

const fixtures = fileURLToPath(new URL('../fixtures/fio/', import.meta.url));
const profile = fitNvmeProfile(readFioResults([join(fixtures, 'sabrent-rocket4plus-2tb')]), { name: 'sabrent', description: 'test', source: 'fixtures, 2023' });
const KIB_4 = 4096;

/**
 * Keeps `queueDepth` commands outstanding: each completion submits the next command at its instant.
 * Completions come out of order (latencies are random), so the next one is the earliest of the slots.
 * `readShare` draws each command's direction from its own seeded stream.
 */
function closedLoop(queue: DeviceQueue, queueDepth: number, commands: number, bytes: number, readShare: number): { iops: number; meanLatencyNs: number } {
  const pick = seedrandom('directions');
  const direction = (): OperationCode => (readShare === 1 || pick() < readShare ? Operation.Read : Operation.Write);
  const submittedAt = new Float64Array(queueDepth);
  const completesAt = new Float64Array(queueDepth);
  for (let slot = 0; slot < queueDepth; slot++) completesAt[slot] = queue.submit(direction(), 0, bytes);
  const warmup = Math.floor(commands / 10);
  let measureFrom = 0;
  let latencySumNs = 0;
  let last = 0;
  for (let done = 0; done < commands; done++) {
    let next = 0;
    for (let slot = 1; slot < queueDepth; slot++) if (completesAt[slot] < completesAt[next]) next = slot;
    const at = completesAt[next];
    if (done === warmup) measureFrom = at;
    if (done > warmup) latencySumNs += at - submittedAt[next];
    last = at;
    submittedAt[next] = at;
    completesAt[next] = queue.submit(direction(), at, bytes);
  }
  const measured = commands - warmup - 1;
  return { iops: (measured * 1e9) / (last - measureFrom), meanLatencyNs: latencySumNs / measured };
}

function fittedQueue(source: NvmeProfile = profile, seed = 'latency'): FittedNvmeQueue {
  return new FittedNvmeQueue(profileDeviceSpec(source), seedrandom(seed));
}

function predictedIops(rw: string, queueDepth: number, rwmixread: number): number {
  return predictFio(profile, { rw, readBlockBytes: KIB_4, writeBlockBytes: KIB_4, queueDepth, rwmixread }).iops;
}

// 100,000 commands with a latency coefficient of variation near 1 leave a sampling error near
// 0.3%; the 1,024-step latency table and whole-nanosecond rounding add under 1%. So 3%.
const TOLERANCE = 0.03;

describe('FittedNvmeQueue closed loop matches predictFio', () => {
  for (const queueDepth of [1, 2, 8, 32, 64]) {
    it(`random read at depth ${queueDepth}`, () => {
      const result = closedLoop(fittedQueue(), queueDepth, 100_000, KIB_4, 1);
      expect(Math.abs(result.iops / predictedIops('randread', queueDepth, 100) - 1)).toBeLessThan(TOLERANCE);
    });

    it(`random write at depth ${queueDepth}`, () => {
      const result = closedLoop(fittedQueue(), queueDepth, 100_000, KIB_4, 0);
      expect(Math.abs(result.iops / predictedIops('randwrite', queueDepth, 0) - 1)).toBeLessThan(TOLERANCE);
    });
  }

  for (const queueDepth of [1, 4, 16, 64]) {
    it(`50/50 mix at depth ${queueDepth}`, () => {
      // Directions are drawn per command, so the recent mix wanders around 50/50, and the
      // interference follows it; 5% covers that on top of TOLERANCE.
      const result = closedLoop(fittedQueue(), queueDepth, 100_000, KIB_4, 0.5);
      expect(Math.abs(result.iops / predictedIops('randrw', queueDepth, 50) - 1)).toBeLessThan(0.05);
    });
  }

  it('beyond the channels commands wait', () => {
    const result = closedLoop(fittedQueue(), 128, 100_000, KIB_4, 1);
    expect(Math.abs(result.iops / predictedIops('randread', 64, 100) - 1)).toBeLessThan(TOLERANCE);
  });
});

describe('FittedNvmeQueue state', () => {
  it('same seed gives the same completions', () => {
    const first = fittedQueue(profile, 'a');
    const second = fittedQueue(profile, 'a');
    for (let i = 0; i < 1000; i++) expect(first.submit(Operation.Read, i * 1000, KIB_4)).toBe(second.submit(Operation.Read, i * 1000, KIB_4));
  });

  it('another seed gives other completions', () => {
    const first = fittedQueue(profile, 'a');
    const second = fittedQueue(profile, 'b');
    let differ = 0;
    for (let i = 0; i < 100; i++) if (first.submit(Operation.Read, i * 1e6, KIB_4) !== second.submit(Operation.Read, i * 1e6, KIB_4)) differ++;
    expect(differ).toBeGreaterThan(50);
  });

  it('rollback undoes trial submissions and their draws', () => {
    const trial = fittedQueue();
    const plain = fittedQueue();
    for (let i = 0; i < 50; i++) {
      trial.submit(Operation.Write, i * 500, KIB_4);
      plain.submit(Operation.Write, i * 500, KIB_4);
    }
    trial.checkpoint();
    for (let i = 0; i < 20; i++) trial.submit(Operation.Read, 30_000, 1 << 20);
    trial.rollback();
    expect(trial.commands[Operation.Read]).toBe(0);
    for (let i = 0; i < 50; i++) expect(trial.submit(Operation.Read, 40_000 + i * 100, KIB_4)).toBe(plain.submit(Operation.Read, 40_000 + i * 100, KIB_4));
  });

  it('counts commands and bytes', () => {
    const queue = fittedQueue();
    queue.submit(Operation.Read, 0, 8192);
    queue.submit(Operation.Write, 0, KIB_4);
    expect(Array.from(queue.commands)).toEqual([1, 1]);
    expect(Array.from(queue.bytes)).toEqual([8192, KIB_4]);
  });
});

describe('FittedNvmeQueue bandwidth and write cache', () => {
  it('large reads run at the pipe rate', () => {
    const withBandwidth: NvmeProfile = { ...profile, read: { bytesPerSec: 7.1e9, bandwidthSource: 'test' } };
    const result = closedLoop(fittedQueue(withBandwidth), 64, 20_000, 64 << 20, 1);
    // Each 64 MiB read occupies the pipe for (64 MiB - 4 KiB) / 7.1 GB/s.
    expect(Math.abs(result.iops / (7.1e9 / ((64 << 20) - KIB_4)) - 1)).toBeLessThan(0.001);
  });

  it('writes beyond the cache run at the sustained rate', () => {
    const small: NvmeProfile = { ...profile, write: { ...profile.write, bytesPerSec: 6.6e9, writeCacheBytes: 1e9, sustainedBytesPerSec: 50e6 } };
    // 64 MiB writes fill the 1 GB cache within 16 commands; the rest go at 50 MB/s.
    const result = closedLoop(fittedQueue(small), 8, 2_000, 64 << 20, 0);
    expect(Math.abs((result.iops * (64 << 20)) / 50e6 - 1)).toBeLessThan(0.001);
  });

  it('striping two drives doubles the pipe', () => {
    const withBandwidth: NvmeProfile = { ...profile, read: { bytesPerSec: 7.1e9, bandwidthSource: 'test' } };
    const striped = new FittedNvmeQueue(stripeDevices(profileDeviceSpec(withBandwidth), 2), seedrandom('latency'));
    const result = closedLoop(striped, 128, 20_000, 64 << 20, 1);
    expect(Math.abs(result.iops / ((2 * 7.1e9) / ((64 << 20) - KIB_4)) - 1)).toBeLessThan(0.001);
  });
});

describe('createDeviceQueue', () => {
  it('serves a preset with DeviceQueue', () => {
    expect(createDeviceQueue(getDevicePreset('pm9a3'), seedrandom('x'))).not.toBeInstanceOf(FittedNvmeQueue);
  });

  it('serves a fitted preset with FittedNvmeQueue', () => {
    expect(createDeviceQueue(getDevicePreset('sabrent-rocket4plus-2tb'), seedrandom('x'))).toBeInstanceOf(FittedNvmeQueue);
  });
});

describe('buildShapeTable', () => {
  it('has mean 1 and follows the percentiles', () => {
    const table = buildShapeTable([50, 99], [100, 300]);
    const mean = table.reduce((sum, value) => sum + value, 0) / table.length;
    expect(mean).toBeCloseTo(1, 12);
    // Below p50 the table repeats the p50 value, its smallest percentile.
    expect(table[0]).toBeCloseTo(table[100], 12);
    expect(table[table.length - 1] / table[0]).toBeCloseTo(3, 12);
  });
});
