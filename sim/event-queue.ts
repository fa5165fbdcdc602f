// The event queue: a binary min-heap over parallel typed arrays, ordered by (time, sequence
// number). The sequence counter belongs to each queue, so events scheduled for the same instant
// come out in the order they were scheduled, whatever other simulators in the process do. Sifting
// moves a hole instead of swapping, and nothing is allocated per event once the arrays have grown
// to the peak number of pending events.

import type { Nanoseconds } from './time.js';

export class EventQueue {
  private times = new Float64Array(1024);
  private sequences = new Float64Array(1024);
  private kinds = new Int32Array(1024);
  private args = new Int32Array(1024);
  private count = 0;
  private nextSequence = 0;

  // The event most recently removed by `pop`.
  poppedTime: Nanoseconds = 0;
  poppedKind = 0;
  poppedArg = 0;

  get size(): number {
    return this.count;
  }

  /** Time of the earliest pending event; Infinity when the queue is empty. */
  peekTime(): Nanoseconds {
    return this.count === 0 ? Infinity : this.times[0];
  }

  /** Sequence number of the earliest pending event; Infinity when the queue is empty. */
  peekSequence(): number {
    return this.count === 0 ? Infinity : this.sequences[0];
  }

  /**
   * Takes the next sequence number for an event kept outside the heap, so that it still orders
   * against the heap's events at the same instant as if it had been pushed.
   */
  takeSequence(): number {
    return this.nextSequence++;
  }

  /** Adds an event of `kind` with an integer argument at instant `at`. */
  push(at: Nanoseconds, kind: number, arg: number): void {
    if (this.count === this.times.length) this.growArrays();
    const sequence = this.nextSequence++;
    let position = this.count++;
    const times = this.times;
    const sequences = this.sequences;
    while (position > 0) {
      const parent = (position - 1) >> 1;
      const parentTime = times[parent];
      if (parentTime < at || (parentTime === at && sequences[parent] < sequence)) break;
      times[position] = parentTime;
      sequences[position] = sequences[parent];
      this.kinds[position] = this.kinds[parent];
      this.args[position] = this.args[parent];
      position = parent;
    }
    times[position] = at;
    sequences[position] = sequence;
    this.kinds[position] = kind;
    this.args[position] = arg;
  }

  /**
   * Removes the earliest event and stores it in `poppedTime`, `poppedKind` and `poppedArg`.
   * Returns false when the queue is empty.
   */
  pop(): boolean {
    if (this.count === 0) return false;
    const times = this.times;
    const sequences = this.sequences;
    const kinds = this.kinds;
    const args = this.args;
    this.poppedTime = times[0];
    this.poppedKind = kinds[0];
    this.poppedArg = args[0];

    const last = --this.count;
    if (last === 0) return true;
    const time = times[last];
    const sequence = sequences[last];
    const kind = kinds[last];
    const arg = args[last];
    let position = 0;
    const half = last >> 1;
    while (position < half) {
      let child = 2 * position + 1;
      const right = child + 1;
      if (right < last && (times[right] < times[child] || (times[right] === times[child] && sequences[right] < sequences[child]))) {
        child = right;
      }
      if (times[child] > time || (times[child] === time && sequences[child] > sequence)) break;
      times[position] = times[child];
      sequences[position] = sequences[child];
      kinds[position] = kinds[child];
      args[position] = args[child];
      position = child;
    }
    times[position] = time;
    sequences[position] = sequence;
    kinds[position] = kind;
    args[position] = arg;
    return true;
  }

  private growArrays(): void {
    const size = this.times.length * 2;
    const times = new Float64Array(size);
    const sequences = new Float64Array(size);
    const kinds = new Int32Array(size);
    const args = new Int32Array(size);
    times.set(this.times);
    sequences.set(this.sequences);
    kinds.set(this.kinds);
    args.set(this.args);
    this.times = times;
    this.sequences = sequences;
    this.kinds = kinds;
    this.args = args;
  }
}
