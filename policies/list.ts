// An intrusive doubly linked list over integer handles, kept in two Int32Arrays. Several lists can
// share a handle space, so a policy with more than one queue (ARC, 2Q, S3-FIFO) uses one instance
// per queue. -1 marks the end of the list and a handle that is not linked.

const NONE = -1;

export class DoublyLinkedList {
  head = NONE;
  tail = NONE;
  length = 0;
  private prev = new Int32Array(0);
  private next = new Int32Array(0);
  private linked = new Uint8Array(0);

  /** Makes room for handles below `handleCapacity`, keeping the current links. */
  grow(handleCapacity: number): void {
    if (handleCapacity <= this.prev.length) return;
    const size = Math.max(handleCapacity, this.prev.length * 2, 16);
    const prev = new Int32Array(size).fill(NONE);
    const next = new Int32Array(size).fill(NONE);
    const linked = new Uint8Array(size);
    prev.set(this.prev);
    next.set(this.next);
    linked.set(this.linked);
    this.prev = prev;
    this.next = next;
    this.linked = linked;
  }

  has(handle: number): boolean {
    return this.linked[handle] === 1;
  }

  /** Returns the handle after `handle` toward the tail, or -1. */
  nextOf(handle: number): number {
    return this.next[handle];
  }

  /** Returns the handle before `handle` toward the head, or -1. */
  prevOf(handle: number): number {
    return this.prev[handle];
  }

  pushHead(handle: number): void {
    this.prev[handle] = NONE;
    this.next[handle] = this.head;
    if (this.head !== NONE) this.prev[this.head] = handle;
    else this.tail = handle;
    this.head = handle;
    this.linked[handle] = 1;
    this.length++;
  }

  pushTail(handle: number): void {
    this.next[handle] = NONE;
    this.prev[handle] = this.tail;
    if (this.tail !== NONE) this.next[this.tail] = handle;
    else this.head = handle;
    this.tail = handle;
    this.linked[handle] = 1;
    this.length++;
  }

  unlink(handle: number): void {
    if (this.linked[handle] !== 1) return;
    const before = this.prev[handle];
    const after = this.next[handle];
    if (before !== NONE) this.next[before] = after;
    else this.head = after;
    if (after !== NONE) this.prev[after] = before;
    else this.tail = before;
    this.prev[handle] = NONE;
    this.next[handle] = NONE;
    this.linked[handle] = 0;
    this.length--;
  }

  /** Links `handle` (not linked yet) right after `anchor` (linked), on the tail side. */
  insertAfter(anchor: number, handle: number): void {
    const after = this.next[anchor];
    this.prev[handle] = anchor;
    this.next[handle] = after;
    this.next[anchor] = handle;
    if (after !== NONE) this.prev[after] = handle;
    else this.tail = handle;
    this.linked[handle] = 1;
    this.length++;
  }

  moveToHead(handle: number): void {
    if (this.head === handle) return;
    this.unlink(handle);
    this.pushHead(handle);
  }

  /** Removes and returns the tail, or -1 when the list is empty. */
  popTail(): number {
    const handle = this.tail;
    if (handle !== NONE) this.unlink(handle);
    return handle;
  }
}
