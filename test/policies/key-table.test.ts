// KeyTable (open addressing with backward-shift deletion) checked against a Map under random
// inserts and deletes, and GhostQueue's bounded FIFO.

import { describe, expect, it } from 'vitest';
import { GhostQueue } from '../../policies/ghost-queue.js';
import { KeyTable } from '../../policies/key-table.js';

describe('KeyTable', () => {
  it('matches a Map under random operations', () => {
    const table = new KeyTable(4);
    const reference = new Map<number, number>();
    let state = 12345;
    for (let step = 0; step < 50_000; step++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      // Few distinct keys, some beyond 2^32, so probe runs collide and wrap.
      const key = (state % 500) * 4294967311;
      if (state % 3 === 0) {
        expect(table.delete(key)).toBe(reference.delete(key));
      } else {
        table.set(key, step);
        reference.set(key, step);
      }
    }
    expect(table.size).toBe(reference.size);
    for (let index = 0; index < 500; index++) {
      const key = index * 4294967311;
      expect(table.get(key)).toBe(reference.get(key) ?? -1);
    }
  });
});

describe('GhostQueue', () => {
  it('drops the oldest entries to fit', () => {
    const ghost = new GhostQueue(10);
    ghost.addBounded(1, 4);
    ghost.addBounded(2, 4);
    ghost.addBounded(3, 4);
    expect(ghost.has(1)).toBe(false);
    expect(ghost.has(2)).toBe(true);
    expect(ghost.has(3)).toBe(true);
    expect(ghost.usedSize).toBe(8);
  });

  it('ignores an entry larger than its capacity', () => {
    const ghost = new GhostQueue(10);
    ghost.addBounded(1, 4);
    ghost.addBounded(2, 11);
    expect(ghost.has(1)).toBe(true);
    expect(ghost.has(2)).toBe(false);
  });

  it('reuses slots after deletes', () => {
    const ghost = new GhostQueue();
    for (let key = 0; key < 1000; key++) {
      ghost.pushHead(key, 1);
      expect(ghost.delete(key)).toBe(true);
    }
    expect(ghost.length).toBe(0);
    expect(ghost.usedSize).toBe(0);
  });
});
