import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { EventQueue } from '../../sim/event-queue.js';

function drain(queue: EventQueue): [number, number, number][] {
  const popped: [number, number, number][] = [];
  while (queue.pop()) popped.push([queue.poppedTime, queue.poppedKind, queue.poppedArg]);
  return popped;
}

describe('EventQueue', () => {
  it('runs same-instant events in scheduling order', () => {
    const queue = new EventQueue();
    for (let arg = 0; arg < 5000; arg++) queue.push(1_000, arg % 3, arg);
    const args = drain(queue).map(([, , arg]) => arg);
    expect(args).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it('orders by time, then sequence number', () => {
    const queue = new EventQueue();
    const random = seedrandom('event-queue');
    const pushed: [number, number][] = [];
    for (let sequence = 0; sequence < 20_000; sequence++) {
      const at = Math.floor(random() * 50);
      pushed.push([at, sequence]);
      queue.push(at, 0, sequence);
    }
    const expected = [...pushed].sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, sequence]) => sequence);
    expect(drain(queue).map(([, , arg]) => arg)).toEqual(expected);
  });

  it('keeps order when pushes and pops interleave', () => {
    const queue = new EventQueue();
    queue.push(10, 1, 1);
    queue.push(5, 1, 2);
    expect(queue.pop()).toBe(true);
    expect(queue.poppedArg).toBe(2);
    queue.push(10, 1, 3);
    queue.push(7, 1, 4);
    expect(drain(queue).map(([time, , arg]) => [time, arg])).toEqual([
      [7, 4],
      [10, 1],
      [10, 3],
    ]);
  });

  it('reports empty queue', () => {
    const queue = new EventQueue();
    expect(queue.pop()).toBe(false);
    expect(queue.peekTime()).toBe(Infinity);
    expect(queue.size).toBe(0);
  });

  it('gives each queue its own sequence counter', () => {
    const first = new EventQueue();
    const second = new EventQueue();
    for (let i = 0; i < 100; i++) first.push(0, 0, i);
    second.push(3, 0, 100);
    second.push(3, 0, 101);
    expect(drain(second).map(([, , arg]) => arg)).toEqual([100, 101]);
  });
});
