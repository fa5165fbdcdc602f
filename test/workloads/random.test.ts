import { describe, expect, it } from 'vitest';

import { CounterRng, createRng, drawKey32, hash53 } from '../../workloads/random.js';

function take(rng: () => number, count: number): number[] {
  const draws: number[] = [];
  for (let i = 0; i < count; i++) {
    draws.push(rng());
  }
  return draws;
}

describe('createRng', () => {
  it('repeats a stream for the same seed', () => {
    expect(take(createRng(42, 'arrivals'), 100)).toEqual(take(createRng(42, 'arrivals'), 100));
  });

  it('separates streams and seeds', () => {
    const base = take(createRng(42, 'arrivals'), 10);
    expect(take(createRng(42, 'sessions'), 10)).not.toEqual(base);
    expect(take(createRng(43, 'arrivals'), 10)).not.toEqual(base);
  });

  it('treats number and string seeds alike', () => {
    expect(take(createRng(7, 's'), 10)).toEqual(take(createRng('7', 's'), 10));
  });

  it('keeps seed and stream boundaries apart', () => {
    expect(take(createRng('a/b', 'c'), 10)).not.toEqual(take(createRng('a', 'b/c'), 10));
  });

  it('draws uniforms in [0, 1) with mean 1/2', () => {
    const count = 100_000;
    const draws = take(createRng(1, 'u'), count);
    let sum = 0;
    let minimum = Infinity;
    let maximum = -Infinity;
    for (const draw of draws) {
      sum += draw;
      minimum = Math.min(minimum, draw);
      maximum = Math.max(maximum, draw);
    }
    expect(minimum).toBeGreaterThanOrEqual(0);
    expect(maximum).toBeLessThan(1);
    // The uniform's standard deviation is sqrt(1/12); allow 4 standard errors.
    expect(Math.abs(sum / count - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / count));
  });

  it('rejects a non-finite seed and an empty stream', () => {
    expect(() => createRng(Number.NaN, 's')).toThrow(RangeError);
    expect(() => createRng(1, '')).toThrow(RangeError);
  });
});

describe('drawKey32', () => {
  it('returns 32-bit unsigned integers', () => {
    const rng = createRng(3, 'keys');
    for (let i = 0; i < 1000; i++) {
      const key = drawKey32(rng);
      expect(Number.isInteger(key)).toBe(true);
      expect(key).toBeGreaterThanOrEqual(0);
      expect(key).toBeLessThan(2 ** 32);
    }
  });
});

describe('hash53', () => {
  it('returns safe non-negative integers', () => {
    for (let i = 0; i < 1000; i++) {
      const value = hash53(12345, i, i * 7, 256);
      expect(Number.isSafeInteger(value)).toBe(true);
      expect(value).toBeGreaterThanOrEqual(0);
    }
  });

  it('changes with every argument', () => {
    const base = hash53(1, 2, 3, 4);
    expect(hash53(1, 2, 3, 4)).toBe(base);
    expect(hash53(0, 2, 3, 4)).not.toBe(base);
    expect(hash53(1, 0, 3, 4)).not.toBe(base);
    expect(hash53(1, 2, 0, 4)).not.toBe(base);
    expect(hash53(1, 2, 3, 0)).not.toBe(base);
  });

  it('spreads over the high bits', () => {
    // Each of the 21 high bits should be set in about half of the hashes.
    const count = 20_000;
    const setCounts = new Array<number>(21).fill(0);
    for (let i = 0; i < count; i++) {
      const high = Math.floor(hash53(99, i, 0, 0) / 2 ** 32);
      for (let bit = 0; bit < 21; bit++) {
        if ((high >>> bit) & 1) {
          setCounts[bit]++;
        }
      }
    }
    const tolerance = 4 * Math.sqrt(0.25 / count);
    for (const setCount of setCounts) {
      expect(Math.abs(setCount / count - 0.5)).toBeLessThan(tolerance);
    }
  });
});

describe('CounterRng', () => {
  it('depends only on substream and counter', () => {
    const first = new CounterRng(5, 'prompts');
    const second = new CounterRng(5, 'prompts');
    first.substream = 3;
    first.counter = 0;
    const expected = [first.next(), first.next(), first.next()];
    expect(first.counter).toBe(3);

    // Interleave another substream before reading substream 3.
    second.substream = 8;
    second.counter = 0;
    second.next();
    second.substream = 3;
    second.counter = 0;
    expect([second.next(), second.next(), second.next()]).toEqual(expected);
  });

  it('separates substreams, streams and seeds', () => {
    const draw = (seed: number, stream: string, substream: number): number => {
      const rng = new CounterRng(seed, stream);
      rng.substream = substream;
      return rng.next();
    };
    const base = draw(5, 'prompts', 1);
    expect(draw(5, 'prompts', 2)).not.toBe(base);
    expect(draw(5, 'responses', 1)).not.toBe(base);
    expect(draw(6, 'prompts', 1)).not.toBe(base);
  });

  it('draws uniforms with mean 1/2 and no lag-1 correlation', () => {
    const rng = new CounterRng(11, 'u');
    const count = 100_000;
    let sum = 0;
    let productSum = 0;
    let minimum = Infinity;
    let maximum = -Infinity;
    let previous = rng.next();
    sum += previous;
    for (let i = 1; i < count; i++) {
      const draw = rng.next();
      minimum = Math.min(minimum, draw);
      maximum = Math.max(maximum, draw);
      sum += draw;
      productSum += (previous - 0.5) * (draw - 0.5);
      previous = draw;
    }
    expect(minimum).toBeGreaterThanOrEqual(0);
    expect(maximum).toBeLessThan(1);
    expect(Math.abs(sum / count - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / count));
    // The lag-1 autocovariance of independent uniforms is 0 with standard error 1/12/sqrt(n).
    expect(Math.abs(productSum / (count - 1))).toBeLessThan((4 * (1 / 12)) / Math.sqrt(count));
  });
});
