// A binary min-heap of integer handles ordered by two keys, the second breaking ties of the first,
// with each handle's index kept so that a handle can be removed or re-keyed. The keys live in the
// heap's own arrays, next to the handles. Sifting therefore reads contiguous memory instead of
// jumping through per-handle arrays, which matters once the heap outgrows the CPU caches. A policy
// that wants the largest key first passes negated keys. Sifting moves a hole instead of swapping.

const NONE = -1;

export class IndexedHeap {
  size = 0;
  private heap = new Int32Array(16);
  private primary = new Float64Array(16);
  private secondary = new Float64Array(16);
  private index = new Int32Array(0);

  /** Makes room for handles below `handleCapacity`. */
  grow(handleCapacity: number): void {
    if (handleCapacity <= this.index.length) return;
    const size = Math.max(handleCapacity, this.index.length * 2, 16);
    const index = new Int32Array(size).fill(NONE);
    index.set(this.index);
    this.index = index;
    if (size > this.heap.length) {
      const heap = new Int32Array(size);
      const primary = new Float64Array(size);
      const secondary = new Float64Array(size);
      heap.set(this.heap);
      primary.set(this.primary);
      secondary.set(this.secondary);
      this.heap = heap;
      this.primary = primary;
      this.secondary = secondary;
    }
  }

  has(handle: number): boolean {
    return this.index[handle] !== NONE;
  }

  /** Returns the handle with the smallest keys, or -1 when empty. */
  peek(): number {
    return this.size === 0 ? NONE : this.heap[0];
  }

  /** Returns the primary key of `handle`, which must be in the heap. */
  primaryOf(handle: number): number {
    return this.primary[this.index[handle]];
  }

  push(handle: number, primary: number, secondary: number): void {
    this.siftUp(this.size++, handle, primary, secondary);
  }

  /** Removes and returns the handle with the smallest keys, or -1 when empty. */
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

  /** Gives `handle`, which must be in the heap, new keys and restores the order. */
  update(handle: number, primary: number, secondary: number): void {
    const at = this.index[handle];
    if (at === NONE) return;
    this.place(at, handle, primary, secondary);
  }

  private removeAt(at: number): void {
    this.index[this.heap[at]] = NONE;
    const last = --this.size;
    if (at === last) return;
    this.place(at, this.heap[last], this.primary[last], this.secondary[last]);
  }

  // Puts the entry into the hole at `at`, sifting it up or down as its keys require.
  private place(at: number, handle: number, primary: number, secondary: number): void {
    if (at > 0) {
      const parent = (at - 1) >> 1;
      if (primary < this.primary[parent] || (primary === this.primary[parent] && secondary < this.secondary[parent])) {
        this.siftUp(at, handle, primary, secondary);
        return;
      }
    }
    this.siftDown(at, handle, primary, secondary);
  }

  private siftUp(start: number, handle: number, primary: number, secondary: number): void {
    const heap = this.heap;
    const primaries = this.primary;
    const secondaries = this.secondary;
    let at = start;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      const parentPrimary = primaries[parent];
      if (primary > parentPrimary || (primary === parentPrimary && secondary >= secondaries[parent])) break;
      this.move(parent, at);
      at = parent;
    }
    heap[at] = handle;
    primaries[at] = primary;
    secondaries[at] = secondary;
    this.index[handle] = at;
  }

  private siftDown(start: number, handle: number, primary: number, secondary: number): void {
    const heap = this.heap;
    const primaries = this.primary;
    const secondaries = this.secondary;
    const size = this.size;
    let at = start;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= size) break;
      const right = child + 1;
      if (right < size && (primaries[right] < primaries[child] || (primaries[right] === primaries[child] && secondaries[right] < secondaries[child]))) {
        child = right;
      }
      const childPrimary = primaries[child];
      if (childPrimary > primary || (childPrimary === primary && secondaries[child] >= secondary)) break;
      this.move(child, at);
      at = child;
    }
    heap[at] = handle;
    primaries[at] = primary;
    secondaries[at] = secondary;
    this.index[handle] = at;
  }

  private move(from: number, to: number): void {
    const handle = this.heap[from];
    this.heap[to] = handle;
    this.primary[to] = this.primary[from];
    this.secondary[to] = this.secondary[from];
    this.index[handle] = to;
  }
}
