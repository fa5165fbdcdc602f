// Hand-computed traces for each classic policy: small enough to follow on paper, each chosen so
// that the policy's distinguishing rule decides the outcome. Ids are object ids with size 1 unless
// a size is given.

import { describe, expect, it } from 'vitest';
import { policyField, replay } from './replay.js';

describe('fifo', () => {
  it('hit does not protect from eviction', () => {
    // a b a c a: the hit on a changes nothing, so c evicts a, the oldest insert.
    const result = replay('fifo', 2, [1, 2, 1, 3, 1]);
    expect(result.hits).toBe('00100');
  });
});

describe('clock', () => {
  it('gives a referenced object a second chance', () => {
    // a b a c: a's bit is set, so c's eviction clears it and moves a to the head, then evicts b.
    const result = replay('clock', 2, [1, 2, 1, 3]);
    expect(result.hits).toBe('0010');
    expect(result.residents).toEqual([1, 3]);
  });

  it('two-bit counter survives two passes', () => {
    // With bits=2, a hit twice keeps a through two sweeps; b and c go first.
    const result = replay('clock(bits=2)', 2, [1, 2, 1, 1, 3, 4]);
    expect(result.hits).toBe('001100');
    expect(result.residents).toEqual([1, 4]);
  });
});

describe('sieve', () => {
  it('hand moves toward the head and rests after the victim', () => {
    // Capacity 3: a b c, hit a. d: the hand starts at the tail (a), clears its mark, moves to b and
    // evicts it, resting on c. e: the hand evicts c (unvisited), resting on d. Hit a again. f: the
    // hand is on d, which is unvisited, so d goes although a is older.
    const result = replay('sieve', 3, [1, 2, 3, 1, 4, 5, 1, 6]);
    expect(result.hits).toBe('00010010');
    expect(result.residents).toEqual([1, 5, 6]);
  });

  it('hand wraps to the tail after the head', () => {
    // All three visited: the hand clears a, b and c in turn, wraps to the tail and evicts a.
    const result = replay('sieve', 3, [1, 2, 3, 1, 2, 3, 4]);
    expect(result.hits).toBe('0001110');
    expect(result.residents).toEqual([2, 3, 4]);
  });
});

describe('lfu', () => {
  it('evicts the lowest frequency', () => {
    // a a b c: a has frequency 2, so c evicts b.
    const result = replay('lfu', 2, [1, 1, 2, 3]);
    expect(result.hits).toBe('0100');
    expect(result.residents).toEqual([1, 3]);
  });

  it('breaks ties by first arrival at the frequency', () => {
    // b reaches frequency 2 before a does, so when both have 2, c evicts b.
    const result = replay('lfu', 2, [1, 2, 2, 1, 3]);
    expect(result.hits).toBe('00110');
    expect(result.residents).toEqual([1, 3]);
  });
});

describe('arc', () => {
  it('adapts p on ghost hits in B1 and B2', () => {
    // Capacity 4. a b, hit a (a to T2), c d, then e evicts T1's LRU b into B1.
    const first = replay('arc', 4, [1, 2, 1, 3, 4, 5]);
    expect(first.hits).toBe('001000');
    expect(first.residents).toEqual([1, 3, 4, 5]);
    expect(policyField(first.cache, 'p')).toBe(0);

    // b is a B1 ghost hit: p rises by max(|B2|/|B1|, 1) = 1, T1 (size 3 > p) loses c to B1, b enters T2.
    const second = replay('arc', 4, [1, 2, 1, 3, 4, 5, 2]);
    expect(second.hits).toBe('0010000');
    expect(second.residents).toEqual([1, 2, 4, 5]);
    expect(policyField(second.cache, 'p')).toBe(1);

    // c is a B1 ghost hit: p = 2, and since |T1| = 2 is not above p, T2's LRU a goes to B2.
    const third = replay('arc', 4, [1, 2, 1, 3, 4, 5, 2, 3]);
    expect(third.residents).toEqual([2, 3, 4, 5]);
    expect(policyField(third.cache, 'p')).toBe(2);

    // a is a B2 ghost hit: p falls by max(|B1|/|B2|, 1) = 1, and T1 (size 2 > 1) loses d.
    const fourth = replay('arc', 4, [1, 2, 1, 3, 4, 5, 2, 3, 1]);
    expect(fourth.hits).toBe('001000000');
    expect(fourth.residents).toEqual([1, 2, 3, 5]);
    expect(policyField(fourth.cache, 'p')).toBe(1);
  });
});

describe('twoq', () => {
  it('sends an Aout ghost hit to Am', () => {
    // Capacity 4: Ain 1, Aout 2, Am 3. a b c d fill Ain; e pushes a to Aout. a is then an Aout hit,
    // so b leaves Ain for Aout and a enters Am.
    const result = replay('twoq', 4, [1, 2, 3, 4, 5, 1]);
    expect(result.hits).toBe('000000');
    expect(result.residents).toEqual([1, 3, 4, 5]);
  });

  it('rejects objects larger than Ain', () => {
    const result = replay('twoq', 8, [1, 1], { 1: 3 });
    expect(result.hits).toBe('00');
    expect(result.residents).toEqual([]);
  });
});

describe('s3fifo', () => {
  it('rejects objects as large as the small queue', () => {
    // Capacity 20 gives the small queue 2 units, so a size-2 object is never inserted.
    const result = replay('s3fifo', 20, [1, 1], { 1: 2 });
    expect(result.hits).toBe('00');
  });

  it('promotes a twice-hit object out of the small queue', () => {
    // Capacity 20, small queue 2. a is hit twice in the small queue, so when 18 new objects push
    // it out it moves to main instead of the ghost, and the next request for a hits.
    const fillers = Array.from({ length: 20 }, (_, index) => 10 + index);
    const result = replay('s3fifo', 20, [1, 1, 1, ...fillers, 1]);
    expect(result.hits.endsWith('1')).toBe(true);
  });
});

describe('lirs', () => {
  it('counts a Q hit evicted by its own demotion as a hit later', () => {
    // Capacity 10: LIR share 9, HIR share 1. 1..9 become LIR, 10 and 11 HIR (11 evicts 10 from Q).
    // 10 again: a non-resident HIR in S, it becomes LIR and demotes 1 into Q (evicting 11). 1 is then
    // a Q hit whose demotion of 2 evicts 1 itself from Q, yet libCacheSim records 1 in S as resident,
    // so the next request for 1 is a hit too, and 1 becomes LIR.
    const ids = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 10, 1, 1];
    const result = replay('lirs', 10, ids);
    expect(result.hits).toBe('00000000000011');
    expect(result.residents).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(result.cache.used).toBe(10);
  });
});

describe('belady', () => {
  it('evicts the object used farthest in the future', () => {
    // a b c a b: at c, a is next used at 3 and b at 4, so b goes.
    const result = replay('belady', 2, [1, 2, 3, 1, 2]);
    expect(result.hits).toBe('00010');
  });

  it('evicts objects never used again first', () => {
    const result = replay('belady', 2, [1, 2, 3, 2]);
    expect(result.hits).toBe('0001');
    expect(result.residents).toEqual([2, 3]);
  });
});

describe('gdsf', () => {
  it('prefers frequent objects and breaks ties by age', () => {
    // a b a c: a has priority 2e6, b 1e6, so c evicts b and L becomes 1e6; c gets 2e6. d: a and c
    // tie at 2e6 and a was touched longer ago, so a goes.
    const result = replay('gdsf', 2, [1, 2, 1, 3, 4]);
    expect(result.hits).toBe('00100');
    expect(result.residents).toEqual([3, 4]);
  });

  it('prefers small objects', () => {
    // Capacity 100: a (50) has priority 2e4 and b (10) 1e5, so c (50) evicts a.
    const result = replay('gdsf', 100, [1, 2, 3], { 1: 50, 2: 10, 3: 50 });
    expect(result.residents).toEqual([2, 3]);
  });
});
