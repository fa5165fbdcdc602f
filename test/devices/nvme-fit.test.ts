// Profile fitting against the real fio sets. The acceptance rule for a fitted model: at least 90%
// of a set's measured points (one per direction of each job) within 10% on IOPS and 20% on p99
// completion latency. The committed preset profiles must be what the fit produces from the data.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FioInputError, readFioResults } from '../../devices/fio.js';
import { assessFit, compareWithMeasurements, crossValidate, fitNvmeProfile, isotonicNonDecreasing } from '../../devices/nvme-fit.js';
import { evaluateCurve, parseNvmeProfile, predictFio, type NvmeProfile } from '../../devices/nvme-profile.js';

const fixtures = fileURLToPath(new URL('../fixtures/fio/', import.meta.url));
const profiles = fileURLToPath(new URL('../../devices/profiles/', import.meta.url));
const OPTIONS = { name: 'test', description: 'test drive', source: 'test fixtures, 2023' };

const sabrentPoints = readFioResults([join(fixtures, 'sabrent-rocket4plus-2tb')]);
const virtioPoints = readFioResults([join(fixtures, 'local-virtio')]);
const sabrent = fitNvmeProfile(sabrentPoints, OPTIONS);
const virtio = fitNvmeProfile(virtioPoints, OPTIONS);

describe('fitNvmeProfile reproduces its measurements', () => {
  it('Sabrent: 90% of points within 10% IOPS and 20% p99', () => {
    const quality = assessFit(compareWithMeasurements(sabrent, sabrentPoints), 0.1, 0.2);
    expect(quality.points).toBe(28);
    expect(quality.share).toBeGreaterThanOrEqual(0.9);
  });

  it('Sabrent: every IOPS within 1%', () => {
    // The curves interpolate the measured depths. In a mix the model splits the total rate evenly,
    // while fio counted slightly different numbers of reads and writes: up to 0.14% apart.
    expect(assessFit(compareWithMeasurements(sabrent, sabrentPoints)).maxIopsError).toBeLessThan(0.01);
  });

  it('Sabrent: every p99 within 5%', () => {
    // Smoothing pools p99 of random reads at depth 32 (659 us) and 64 (627 us) into 643 us, and the
    // mixed writes at depth 32 and 64 likewise: 4.7% is the largest change.
    expect(assessFit(compareWithMeasurements(sabrent, sabrentPoints)).maxP99Error).toBeLessThan(0.05);
  });

  it('local virtio: 90% of points within 10% IOPS and 20% p99', () => {
    const quality = assessFit(compareWithMeasurements(virtio, virtioPoints), 0.1, 0.2);
    expect(quality.points).toBe(5);
    expect(quality.share).toBeGreaterThanOrEqual(0.9);
  });
});

describe('crossValidate on the Sabrent set', () => {
  // Each job predicted by a fit to the other 20. These figures are quoted in docs/devices.md; they
  // show how far the sweep's depths are apart, not a bound the fit must meet.
  const rows = crossValidate(sabrentPoints, OPTIONS);
  const inner = rows.filter((row) => row.iodepth > 1 && row.iodepth < 64);

  it('predicts every job', () => {
    expect(rows).toHaveLength(28);
  });

  it('11 of 28 points within tolerance', () => {
    expect(assessFit(rows, 0.1, 0.2).within).toBe(11);
  });

  it('10 of 20 inner points within tolerance', () => {
    expect(inner).toHaveLength(20);
    expect(assessFit(inner, 0.1, 0.2).within).toBe(10);
  });

  it('worst inner IOPS error is 51%', () => {
    // Random writes at depth 16, predicted across the drop from 336,000 IOPS at depth 8.
    expect(assessFit(inner).maxIopsError).toBeCloseTo(0.508, 3);
  });
});

describe('fitNvmeProfile parameters', () => {
  it('channels are the deepest queue measured', () => {
    expect(sabrent.channels).toBe(64);
    expect(virtio.channels).toBe(32);
  });

  it('bandwidth comes from the 1 MiB runs', () => {
    // fio: 1 MiB random read at depth 8 moved 554,810,421 B/s, 1 MiB sequential write 1,586,051,987 B/s.
    expect(Math.round(virtio.read.bytesPerSec)).toBe(554810421);
    expect(Math.round(virtio.write.bytesPerSec)).toBe(1586051987);
    expect(virtio.read.bandwidthSource).toMatch(/^measured: randread of 1 MiB/);
  });

  it('4 KiB-only bandwidth is a lower bound', () => {
    expect(sabrent.read.bandwidthSource).toMatch(/^lower bound/);
    // fio's bw_bytes of 4 KiB random reads at depth 64, the fastest read run of the set.
    expect(sabrent.read.bytesPerSec).toBe(1009801613);
  });

  it('finds the Sabrent write cache', () => {
    // Random writes at depth 32 fell to 13,891 IOPS in their slowest interval. Depth 8 wrote
    // 17.7 GB in 12.9 s without falling below 266,841 IOPS.
    expect(sabrent.write.sustainedBytesPerSec).toBe(13891 * 4096);
    expect((sabrent.write.writeCacheBytes as number) / 1e9).toBeCloseTo(17.73, 2);
    expect(virtio.write.writeCacheBytes).toBeNull();
  });

  it('curves are non-decreasing in depth', () => {
    for (const curve of sabrent.curves) {
      for (let i = 1; i < curve.points.length; i++) {
        expect(curve.points[i].responseNs).toBeGreaterThanOrEqual(curve.points[i - 1].responseNs);
        curve.points[i].clatNs.forEach((value, index) => expect(value).toBeGreaterThanOrEqual(curve.points[i - 1].clatNs[index]));
      }
    }
  });

  it('rejects a set without writes', () => {
    expect(() => fitNvmeProfile(sabrentPoints.filter((point) => point.rw === 'randread'), OPTIONS)).toThrow(FioInputError);
  });
});

describe('predictFio between and beyond measured depths', () => {
  const iopsAt = (queueDepth: number): number => predictFio(sabrent, { rw: 'randread', readBlockBytes: 4096, writeBlockBytes: 4096, queueDepth, rwmixread: 100 }).iops;

  it('depth 24 lies between 16 and 32', () => {
    expect(iopsAt(24)).toBeGreaterThan(iopsAt(16));
    expect(iopsAt(24)).toBeLessThan(iopsAt(32));
  });

  it('beyond depth 64 the throughput holds', () => {
    expect(iopsAt(256)).toBeCloseTo(iopsAt(64), 6);
  });

  it('large reads are limited by the pipe', () => {
    // Only 4 KiB was measured, so a 1 MiB read adds (1 MiB - 4 KiB) through the read pipe, which
    // then limits 32 outstanding reads to bytesPerSec / (1 MiB - 4 KiB) commands per second.
    const prediction = predictFio(sabrent, { rw: 'randread', readBlockBytes: 1 << 20, writeBlockBytes: 1 << 20, queueDepth: 32, rwmixread: 100 });
    expect(prediction.iops).toBeCloseTo(1009801613 / ((1 << 20) - 4096), 6);
  });

  it('a curve holds beyond its deepest point', () => {
    // 1 MiB reads on the virtio disk at depth 32: the 1 MiB curve, measured only at depth 8 (fio:
    // 527.944112 IOPS), keeps its throughput beyond its deepest point.
    const prediction = predictFio(virtio, { rw: 'randread', readBlockBytes: 1 << 20, writeBlockBytes: 1 << 20, queueDepth: 32, rwmixread: 100 });
    expect(prediction.iops).toBeCloseTo(527.944112, 3);
  });

  it('a 70/30 mix lies between the pure and 50/50 curves', () => {
    const read = sabrent.curves.find((curve) => curve.direction === 'read' && curve.readShare === 1) as NvmeProfile['curves'][number];
    const mix = sabrent.curves.find((curve) => curve.direction === 'read' && curve.readShare === 0.5) as NvmeProfile['curves'][number];
    const prediction = predictFio(sabrent, { rw: 'randrw', readBlockBytes: 4096, writeBlockBytes: 4096, queueDepth: 16, rwmixread: 70 });
    expect(prediction.read?.meanResponseNs).toBeGreaterThan(evaluateCurve(read, 16).responseNs);
    expect(prediction.read?.meanResponseNs).toBeLessThan(evaluateCurve(mix, 16).responseNs);
  });
});

describe('committed preset profiles', () => {
  for (const [file, points] of [
    ['sabrent-rocket4plus-2tb.json', sabrentPoints],
    ['local-virtio.json', virtioPoints],
  ] as const) {
    it(`${file} is the fit of its fio set`, () => {
      const committed = parseNvmeProfile(JSON.parse(readFileSync(join(profiles, file), 'utf8')), file);
      const fitted = fitNvmeProfile(points, OPTIONS);
      expect(committed.curves).toEqual(fitted.curves);
      expect(committed.channels).toBe(fitted.channels);
      expect(committed.percentiles).toEqual(fitted.percentiles);
      expect(committed.write.writeCacheBytes).toBe(fitted.write.writeCacheBytes);
      expect(committed.write.sustainedBytesPerSec).toBe(fitted.write.sustainedBytesPerSec);
    });
  }
});

describe('parseNvmeProfile', () => {
  it('names the missing field and the file', () => {
    const { channels: _channels, ...incomplete } = sabrent;
    expect(() => parseNvmeProfile(incomplete, 'drive.json')).toThrow(/NVMe profile drive\.json is invalid: "channels" is missing/);
  });

  it('rejects another format', () => {
    expect(() => parseNvmeProfile({ ...sabrent, format: 'other' }, 'x.json')).toThrow(/"format" must be "kvtier-nvme-profile"/);
  });

  it('checks percentile counts', () => {
    const broken = structuredClone(sabrent);
    broken.curves[0].points[0].clatNs.pop();
    expect(() => parseNvmeProfile(broken, 'x.json')).toThrow(/curves\[0\]\.points\[0\]\.clatNs must hold one positive latency per percentile \(17\)/);
  });
});

describe('isotonicNonDecreasing', () => {
  it('pools adjacent violators', () => {
    expect(isotonicNonDecreasing([1, 3, 2, 4])).toEqual([1, 2.5, 2.5, 4]);
    expect(isotonicNonDecreasing([5, 1, 1])).toEqual([7 / 3, 7 / 3, 7 / 3]);
    expect(isotonicNonDecreasing([1, 2, 3])).toEqual([1, 2, 3]);
  });
});
