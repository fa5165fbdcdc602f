// A set of intrusive doubly linked lists over one handle space, in typed arrays: each handle is in
// at most one list at a time, and lists are numbered 0, 1, ... A policy that groups its residents
// (the think-time policy's one list per session) links them all through these shared arrays, so
// moving a handle between lists allocates nothing. -1 marks the end of a list and an unlinked handle.

const NONE = -1;

export class ListSet {
  private prev = new Int32Array(0);
  private next = new Int32Array(0);
  private owner = new Int32Array(0);
  private heads = new Int32Array(0);
  private tails = new Int32Array(0);
  private lengths = new Int32Array(0);

  /** Makes room for handles below `handleCapacity`. */
  growHandles(handleCapacity: number): void {
    if (handleCapacity <= this.prev.length) return;
    const size = Math.max(handleCapacity, this.prev.length * 2, 16);
    this.prev = extend(this.prev, size);
    this.next = extend(this.next, size);
    this.owner = extend(this.owner, size);
  }

  /** Makes room for lists below `listCapacity`. */
  growLists(listCapacity: number): void {
    if (listCapacity <= this.heads.length) return;
    const size = Math.max(listCapacity, this.heads.length * 2, 16);
    this.heads = extend(this.heads, size);
    this.tails = extend(this.tails, size);
    const lengths = new Int32Array(size);
    lengths.set(this.lengths);
    this.lengths = lengths;
  }

  /** Returns the list holding `handle`, or -1. */
  listOf(handle: number): number {
    return this.owner[handle];
  }

  tailOf(list: number): number {
    return this.tails[list];
  }

  lengthOf(list: number): number {
    return this.lengths[list];
  }

  pushHead(list: number, handle: number): void {
    const head = this.heads[list];
    this.prev[handle] = NONE;
    this.next[handle] = head;
    if (head !== NONE) this.prev[head] = handle;
    else this.tails[list] = handle;
    this.heads[list] = handle;
    this.owner[handle] = list;
    this.lengths[list]++;
  }

  /** Links `handle` right after `anchor`, on the tail side, in `anchor`'s list. */
  insertAfter(anchor: number, handle: number): void {
    const list = this.owner[anchor];
    const after = this.next[anchor];
    this.prev[handle] = anchor;
    this.next[handle] = after;
    this.next[anchor] = handle;
    if (after !== NONE) this.prev[after] = handle;
    else this.tails[list] = handle;
    this.owner[handle] = list;
    this.lengths[list]++;
  }

  unlink(handle: number): void {
    const list = this.owner[handle];
    if (list === NONE) return;
    const before = this.prev[handle];
    const after = this.next[handle];
    if (before !== NONE) this.next[before] = after;
    else this.heads[list] = after;
    if (after !== NONE) this.prev[after] = before;
    else this.tails[list] = before;
    this.owner[handle] = NONE;
    this.lengths[list]--;
  }
}

function extend(array: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(size).fill(NONE);
  grown.set(array);
  return grown;
}
