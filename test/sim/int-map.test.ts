import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { IntMap } from '../../sim/int-map.js';

describe('IntMap', () => {
  it('matches a Map under random set and delete', () => {
    const random = seedrandom('int-map');
    const map = new IntMap(4);
    const reference = new Map<number, number>();
    for (let step = 0; step < 200_000; step++) {
      // Keys above 2^32 exercise the high half of the hash.
      const key = Math.floor(random() * 5000) * (step % 2 === 0 ? 1 : 2 ** 33 + 7);
      const action = random();
      if (action < 0.5) {
        map.set(key, step);
        reference.set(key, step);
      } else if (action < 0.8) {
        expect(map.delete(key)).toBe(reference.delete(key));
      } else {
        expect(map.get(key)).toBe(reference.get(key) ?? -1);
      }
    }
    expect(map.size).toBe(reference.size);
    for (const [key, value] of reference) expect(map.get(key)).toBe(value);
  });

  it('returns -1 for a missing key', () => {
    const map = new IntMap();
    map.set(2 ** 52, 7);
    expect(map.get(2 ** 52)).toBe(7);
    expect(map.get(0)).toBe(-1);
  });
});
