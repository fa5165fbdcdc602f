// Write amplification against values computed outside kvtier: test/fixtures/reference/
// ssd-waf-desnoyers.csv, from P. Desnoyers, "Analytic Modeling of SSD Write Performance",
// SYSTOR 2012, recomputed with a Newton-iteration Lambert W (see the fixture's README).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { deviceWriteAmplification, lambertW0, wafFifo, wafGreedy } from '../../devices/write-amplification.js';

const csv = readFileSync(fileURLToPath(new URL('../fixtures/reference/ssd-waf-desnoyers.csv', import.meta.url)), 'utf8');
const rows = csv
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split(',').map(Number));

// The reference rounds to 3 decimals, so a match is a difference of at most half a unit in the last place.
const HALF_LAST_DIGIT = 0.0005 + 1e-12;

describe('Desnoyers write amplification', () => {
  it('the reference has five spare factors', () => {
    expect(rows.map((row) => row[0])).toEqual([0.07, 0.13, 0.2, 0.28, 0.5]);
  });

  for (const [spareFactor, , fifo, greedy64, greedy256] of rows) {
    it(`FIFO cleaning at spare factor ${spareFactor}`, () => {
      expect(Math.abs(wafFifo(spareFactor) - fifo)).toBeLessThanOrEqual(HALF_LAST_DIGIT);
    });

    it(`greedy cleaning, 64 pages per block, at ${spareFactor}`, () => {
      expect(Math.abs(wafGreedy(spareFactor, 64) - greedy64)).toBeLessThanOrEqual(HALF_LAST_DIGIT);
    });

    it(`greedy cleaning, 256 pages per block, at ${spareFactor}`, () => {
      expect(Math.abs(wafGreedy(spareFactor, 256) - greedy256)).toBeLessThanOrEqual(HALF_LAST_DIGIT);
    });
  }

  it('an empty drive amplifies nothing', () => {
    expect(wafFifo(1)).toBe(1);
    expect(wafGreedy(1, 64)).toBe(1);
  });

  it('greedy never goes below 1', () => {
    expect(wafGreedy(0.99, 2048)).toBe(1);
  });
});

describe('lambertW0', () => {
  it('inverts w e^w', () => {
    for (const x of [-1 / Math.E + 1e-12, -0.3, -0.1, -1e-6]) {
      const w = lambertW0(x);
      expect(w * Math.exp(w)).toBeCloseTo(x, 12);
      expect(w).toBeGreaterThanOrEqual(-1);
    }
  });

  it('is -1 at -1/e and 0 at 0', () => {
    expect(lambertW0(-1 / Math.E)).toBeCloseTo(-1, 6);
    expect(lambertW0(0)).toBe(0);
  });

  it('rejects x outside its domain', () => {
    expect(() => lambertW0(0.5)).toThrow(RangeError);
  });
});

describe('deviceWriteAmplification', () => {
  const drive = { rawCapacityBytes: 2 ** 41, eraseBlockBytes: 32 * 2 ** 20, pageBytes: 16 * 2 ** 10 };

  it('whole erase-block writes give 1', () => {
    expect(deviceWriteAmplification({ ...drive, liveBytes: 0.93 * 2 ** 41, meanWriteBytes: 64 * 2 ** 20 })).toBe(1);
  });

  it('small writes on a full drive follow greedy cleaning', () => {
    const liveBytes = 0.8 * 2 ** 41;
    expect(deviceWriteAmplification({ ...drive, liveBytes, meanWriteBytes: 5 * 2 ** 20 })).toBeCloseTo(wafGreedy(0.2, 2048), 12);
  });

  it('a write of 1.5 erase blocks is two thirds whole', () => {
    const liveBytes = 0.8 * 2 ** 41;
    const expected = 2 / 3 + (1 / 3) * wafGreedy(0.2, 2048);
    expect(deviceWriteAmplification({ ...drive, liveBytes, meanWriteBytes: 48 * 2 ** 20 })).toBeCloseTo(expected, 12);
  });

  it('no writes give 1', () => {
    expect(deviceWriteAmplification({ ...drive, liveBytes: 0, meanWriteBytes: 0 })).toBe(1);
  });
});
