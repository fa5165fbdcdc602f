// Writing a closed-loop workload to a trace file. The simulator decides when a turn completes, and
// a trace file has no simulator, so generation assumes each turn completes the instant it arrives:
// a session's next turn arrives one think time after the previous one. Turns of all sessions are
// merged into arrival order through a heap of each active session's next turn, so memory grows
// with the sessions in progress, not with the trace.

import { createRequestRecord, type RequestRecord, type Workload } from './request.js';
import type { TraceWriter } from './trace-writer.js';

/** Generates every request of `workload` in arrival order into `writer`; returns the request count. */
export function generateTrace(workload: Workload, writer: TraceWriter): number {
  const heap = new TurnHeap();
  const pool: RequestRecord[] = [];
  const take = () => pool.pop() ?? createRequestRecord(64);
  let nextStart: RequestRecord | null = take();
  if (!workload.nextArrival(nextStart)) nextStart = null;
  let written = 0;

  while (nextStart !== null || heap.size > 0) {
    let record: RequestRecord;
    // A session start wins a tie, because it was drawn before the turns now pending.
    if (nextStart !== null && (heap.size === 0 || nextStart.arrivalAt <= heap.peek().arrivalAt)) {
      record = nextStart;
      nextStart = take();
      if (!workload.nextArrival(nextStart)) {
        pool.push(nextStart);
        nextStart = null;
      }
    } else {
      record = heap.pop();
    }
    writer.write(record);
    written++;
    if (workload.nextTurn(record, record.arrivalAt, record)) heap.push(record);
    else pool.push(record);
  }
  return written;
}

/** A binary min-heap of records by (arrivalAt, insertion order). */
class TurnHeap {
  private readonly records: RequestRecord[] = [];
  private readonly orders: number[] = [];
  private inserted = 0;

  get size(): number {
    return this.records.length;
  }

  peek(): RequestRecord {
    return this.records[0];
  }

  push(record: RequestRecord): void {
    const order = this.inserted++;
    let index = this.records.length;
    this.records.push(record);
    this.orders.push(order);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.before(record, order, this.records[parent], this.orders[parent])) break;
      this.records[index] = this.records[parent];
      this.orders[index] = this.orders[parent];
      index = parent;
    }
    this.records[index] = record;
    this.orders[index] = order;
  }

  pop(): RequestRecord {
    const top = this.records[0];
    const lastRecord = this.records.pop()!;
    const lastOrder = this.orders.pop()!;
    const size = this.records.length;
    if (size > 0) {
      let index = 0;
      for (;;) {
        let child = 2 * index + 1;
        if (child >= size) break;
        if (child + 1 < size && this.before(this.records[child + 1], this.orders[child + 1], this.records[child], this.orders[child])) child++;
        if (!this.before(this.records[child], this.orders[child], lastRecord, lastOrder)) break;
        this.records[index] = this.records[child];
        this.orders[index] = this.orders[child];
        index = child;
      }
      this.records[index] = lastRecord;
      this.orders[index] = lastOrder;
    }
    return top;
  }

  private before(a: RequestRecord, orderA: number, b: RequestRecord, orderB: number): boolean {
    return a.arrivalAt < b.arrivalAt || (a.arrivalAt === b.arrivalAt && orderA < orderB);
  }
}
