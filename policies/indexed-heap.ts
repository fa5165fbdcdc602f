// A binary heap of integer handles in typed arrays, with each handle's index kept so that a handle
// can be removed or re-sifted after its priority changes. The owner keeps the priorities and passes
// `before(a, b)`, true when `a` must come out before `b`. Sifting moves a hole instead of swapping.

const NONE = -1;

export class IndexedHeap {
  size = 0;
  private heap = new Int32Array(16);
  private index = new Int32Array(0);

  constructor(private readonly before: (a: number, b: number) => boolean) {}

  /** Makes room for handles below `handleCapacity`. */
  grow(handleCapacity: number): void {
    if (handleCapacity <= this.index.length) return;
    const size = Math.max(handleCapacity, this.index.length * 2, 16);
    const index = new Int32Array(size).fill(NONE);
    index.set(this.index);
    this.index = index;
    if (size > this.heap.length) {
      const heap = new Int32Array(size);
      heap.set(this.heap);
      this.heap = heap;
    }
  }

  has(handle: number): boolean {
    return this.index[handle] !== NONE;
  }

  /** Returns the handle that comes out first, or -1 when empty. */
  peek(): number {
    return this.size === 0 ? NONE : this.heap[0];
  }

  push(handle: number): void {
    const at = this.size++;
    this.heap[at] = handle;
    this.index[handle] = at;
    this.siftUp(at);
  }

  /** Removes and returns the first handle, or -1 when empty. */
  pop(): number {
    if (this.size === 0) return NONE;
    const first = this.heap[0];
    this.removeAt(0);
    return first;
  }

  /** Removes `handle` if it is in the heap. */
  delete(handle: number): void {
    const at = this.index[handle];
    if (at !== NONE) this.removeAt(at);
  }

  /** Restores the order after `handle`'s priority changed. */
  update(handle: number): void {
    const at = this.index[handle];
    if (at === NONE) return;
    this.siftUp(at);
    this.siftDown(this.index[handle]);
  }

  private removeAt(at: number): void {
    const removed = this.heap[at];
    this.index[removed] = NONE;
    const last = this.heap[--this.size];
    if (at === this.size) return;
    this.heap[at] = last;
    this.index[last] = at;
    this.siftUp(at);
    this.siftDown(this.index[last]);
  }

  private siftUp(start: number): void {
    const heap = this.heap;
    const moving = heap[start];
    let at = start;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.before(moving, heap[parent])) break;
      heap[at] = heap[parent];
      this.index[heap[at]] = at;
      at = parent;
    }
    heap[at] = moving;
    this.index[moving] = at;
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    const moving = heap[start];
    const size = this.size;
    let at = start;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= size) break;
      if (child + 1 < size && this.before(heap[child + 1], heap[child])) child++;
      if (!this.before(heap[child], moving)) break;
      heap[at] = heap[child];
      this.index[heap[at]] = at;
      at = child;
    }
    heap[at] = moving;
    this.index[moving] = at;
  }
}
