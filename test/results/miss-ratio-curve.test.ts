// Miss-ratio curve sizes and writers.

import { describe, expect, it } from 'vitest';
import { logSpacedSizes, renderMissRatioCsv, renderMissRatioSvg, type MissRatioPoint } from '../../results/miss-ratio-curve.js';

const points: MissRatioPoint[] = [
  { policy: 'lru', cacheSize: 10, requests: 100, misses: 80, bytesRequested: 1000, bytesMissed: 900 },
  { policy: 'lru', cacheSize: 100, requests: 100, misses: 40, bytesRequested: 1000, bytesMissed: 500 },
  { policy: 's3fifo(small=0.1,ghost=0.9,threshold=2)', cacheSize: 10, requests: 100, misses: 70, bytesRequested: 1000, bytesMissed: 800 },
  { policy: 's3fifo(small=0.1,ghost=0.9,threshold=2)', cacheSize: 100, requests: 100, misses: 30, bytesRequested: 1000, bytesMissed: 400 },
];

describe('logSpacedSizes', () => {
  it('spans 0.1% to 100% of the working set', () => {
    expect(logSpacedSizes(1_000_000, 4)).toEqual([1000, 10_000, 100_000, 1_000_000]);
  });

  it('drops duplicate sizes of small working sets', () => {
    // 0.1%, 0.56%, 3.2% and 18% of 10 round down to 0 or 1 and are raised to 1; 100% is 10.
    expect(logSpacedSizes(10, 5)).toEqual([1, 10]);
  });

  it('rejects fewer than two points', () => {
    expect(() => logSpacedSizes(100, 1)).toThrow('count must be an integer of at least 2, received 1');
  });
});

describe('renderMissRatioCsv', () => {
  it('writes one row per point', () => {
    const lines = renderMissRatioCsv(points).trim().split('\n');
    expect(lines[0]).toBe('policy,cache_size,miss_ratio,byte_miss_ratio');
    expect(lines[1]).toBe('lru,10,0.8,0.9');
    expect(lines[3]).toBe('"s3fifo(small=0.1,ghost=0.9,threshold=2)",10,0.7,0.8');
  });
});

describe('renderMissRatioSvg', () => {
  it('draws one line and legend entry per policy', () => {
    const svg = renderMissRatioSvg(points, 'bytes');
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg).toContain('>s3fifo(small=0.1,ghost=0.9,threshold=2)</text>');
    expect(svg).toContain('cache size (bytes, log scale)');
  });
});
