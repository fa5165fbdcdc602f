import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clearLinks, DoublyLinkedList } from '../../policies/list.js';
import type { HandleLinks } from '../../policies/policy.js';

function order(list: DoublyLinkedList): number[] {
  const handles: number[] = [];
  for (let handle = list.head; handle !== -1; handle = list.nextOf(handle)) handles.push(handle);
  return handles;
}

// Link slots of `handles` handles, four int32 per handle: two lists' slots side by side.
function sharedSlots(handles: number): { first: HandleLinks; second: HandleLinks; buffer: ArrayBuffer } {
  const buffer = new ArrayBuffer(16 * handles);
  const first = { ints: new Int32Array(buffer, 0), stride: 4 };
  const second = { ints: new Int32Array(buffer, 8), stride: 4 };
  clearLinks(first, 0, handles);
  clearLinks(second, 0, handles);
  return { first, second, buffer };
}

describe('DoublyLinkedList', () => {
  it('keeps recency order in its own array', () => {
    const list = new DoublyLinkedList();
    list.grow(8);
    for (const handle of [1, 2, 3, 4]) list.pushHead(handle);
    list.moveToHead(2);
    expect(order(list)).toEqual([2, 4, 3, 1]);
    expect(list.popTail()).toBe(1);
    expect(list.has(1)).toBe(false);
    expect(list.prevOf(3)).toBe(4);
    expect(list.length).toBe(3);
  });

  it('keeps its links when it grows', () => {
    const list = new DoublyLinkedList();
    list.grow(4);
    list.pushHead(0);
    list.pushHead(3);
    list.grow(1000);
    list.pushTail(999);
    expect(order(list)).toEqual([3, 0, 999]);
    expect(list.has(500)).toBe(false);
  });

  it('keeps two lists apart in shared slots', () => {
    const { first, second } = sharedSlots(8);
    const firstList = new DoublyLinkedList(first);
    const secondList = new DoublyLinkedList(second);
    for (const handle of [0, 1, 2]) firstList.pushHead(handle);
    for (const handle of [2, 1, 5]) secondList.pushTail(handle);
    firstList.unlink(1);
    expect(order(firstList)).toEqual([2, 0]);
    expect(order(secondList)).toEqual([2, 1, 5]);
    expect(secondList.has(1)).toBe(true);
    expect(firstList.has(1)).toBe(false);
  });

  it('follows the owner to a grown array', () => {
    const small = sharedSlots(4);
    const list = new DoublyLinkedList(small.first);
    list.pushHead(0);
    list.pushHead(3);
    // The owner copies its records into a larger buffer, clears the new handles' slots, then grows.
    const buffer = new ArrayBuffer(16 * 16);
    new Uint8Array(buffer).set(new Uint8Array(small.buffer));
    small.first.ints = new Int32Array(buffer, 0);
    clearLinks(small.first, 4, 16);
    list.grow(16);
    list.pushHead(15);
    expect(order(list)).toEqual([15, 3, 0]);
    expect(list.has(10)).toBe(false);
  });

  it('gives the same order in shared slots as in its own array', () => {
    const operation = fc.tuple(fc.constantFrom('head', 'tail', 'unlink', 'move', 'pop'), fc.integer({ min: 0, max: 31 }));
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 200 }), (operations) => {
        const own = new DoublyLinkedList();
        own.grow(32);
        const shared = new DoublyLinkedList(sharedSlots(32).second);
        for (const [kind, handle] of operations) {
          for (const list of [own, shared]) {
            if (kind === 'pop') list.popTail();
            else if (kind === 'unlink' || kind === 'move') {
              if (!list.has(handle)) continue;
              if (kind === 'unlink') list.unlink(handle);
              else list.moveToHead(handle);
            } else if (!list.has(handle)) {
              if (kind === 'head') list.pushHead(handle);
              else list.pushTail(handle);
            }
          }
        }
        expect(order(shared)).toEqual(order(own));
        expect(shared.length).toBe(own.length);
        expect(shared.tail).toBe(own.tail);
      }),
      { numRuns: 1000, seed: 7 },
    );
  });
});
