import { describe, expect, it } from 'vitest';

import { ActiveSessions } from '../../workloads/active-sessions.js';
import { IdMap } from '../../workloads/id-map.js';
import { createRng } from '../../workloads/random.js';

describe('IdMap', () => {
  it('matches a Map under random churn', () => {
    const map = new IdMap(4);
    const reference = new Map<number, number>();
    const rng = createRng(7, 'id-map');
    for (let step = 0; step < 50_000; step++) {
      // Few distinct keys, some above 2^32, so probe runs collide and wrap.
      const key = Math.floor(rng() * 300) * (step % 2 === 0 ? 1 : 2 ** 33);
      if (rng() < 0.45) {
        expect(map.delete(key)).toBe(reference.delete(key));
      } else {
        const value = Math.floor(rng() * 1000);
        map.set(key, value);
        reference.set(key, value);
      }
    }
    expect(map.size).toBe(reference.size);
    for (let key = 0; key < 300; key++) {
      expect(map.get(key)).toBe(reference.get(key) ?? -1);
      expect(map.get(key * 2 ** 33)).toBe(reference.get(key * 2 ** 33) ?? -1);
    }
  });
});

describe('ActiveSessions', () => {
  it('ends idle sessions after the gap', () => {
    const sessions = new ActiveSessions(10);
    const ended: number[] = [];
    const onEnd = (slot: number) => ended.push(sessions.sessionIds[slot], sessions.turns[slot]);
    sessions.touch(sessions.open(1), 0);
    sessions.touch(sessions.open(2), 5);
    sessions.touch(sessions.find(1), 8);
    sessions.expire(16, onEnd);
    // Session 2 last arrived at 5, more than 10 before 16; session 1 arrived at 8.
    expect(ended).toEqual([2, 1]);
    expect(sessions.find(2)).toBe(-1);
    expect(sessions.size).toBe(1);
    sessions.endAll(onEnd);
    expect(ended).toEqual([2, 1, 1, 2]);
    expect(sessions.size).toBe(0);
  });

  it('reuses slots and grows past its initial size', () => {
    const sessions = new ActiveSessions(1);
    for (let id = 0; id < 5000; id++) {
      sessions.expire(id * 10);
      sessions.touch(sessions.open(id), id * 10);
    }
    // Every earlier session was idle for longer than the gap, so only the latest stays.
    expect(sessions.size).toBe(1);
    for (let id = 5000; id < 7000; id++) {
      sessions.expire(50_000);
      sessions.touch(sessions.open(id), 50_000);
    }
    // Session 4999 arrived at 49,990, more than the 1 ns gap before 50,000.
    expect(sessions.size).toBe(2000);
    expect(sessions.turns[sessions.find(6999)]).toBe(1);
  });
});
