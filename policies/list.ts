// An intrusive doubly linked list over integer handles. Each handle's two links sit side by side in
// one Int32Array (previous at 2h, next at 2h + 1), so following or unlinking a handle reads one
// cache line instead of one per array. Several lists can share a handle space, so a policy with
// more than one queue (ARC, 2Q, S3-FIFO) uses one instance per queue. -1 marks the end of the list;
// a handle that is not linked has -2 as its previous link.

const NONE = -1;
const UNLINKED = -2;

export class DoublyLinkedList {
  head = NONE;
  tail = NONE;
  length = 0;
  private links = new Int32Array(0);

  /** Makes room for handles below `handleCapacity`, keeping the current links. */
  grow(handleCapacity: number): void {
    if (2 * handleCapacity <= this.links.length) return;
    const size = Math.max(handleCapacity, this.links.length, 16);
    const links = new Int32Array(2 * size);
    for (let i = this.links.length; i < links.length; i += 2) {
      links[i] = UNLINKED;
      links[i + 1] = NONE;
    }
    links.set(this.links);
    this.links = links;
  }

  has(handle: number): boolean {
    return this.links[2 * handle] !== UNLINKED;
  }

  /** Returns the handle after `handle` toward the tail, or -1. */
  nextOf(handle: number): number {
    return this.links[2 * handle + 1];
  }

  /** Returns the handle before `handle` toward the head, or -1. */
  prevOf(handle: number): number {
    const before = this.links[2 * handle];
    return before === UNLINKED ? NONE : before;
  }

  pushHead(handle: number): void {
    const links = this.links;
    const head = this.head;
    links[2 * handle] = NONE;
    links[2 * handle + 1] = head;
    if (head !== NONE) links[2 * head] = handle;
    else this.tail = handle;
    this.head = handle;
    this.length++;
  }

  pushTail(handle: number): void {
    const links = this.links;
    const tail = this.tail;
    links[2 * handle + 1] = NONE;
    links[2 * handle] = tail;
    if (tail !== NONE) links[2 * tail + 1] = handle;
    else this.head = handle;
    this.tail = handle;
    this.length++;
  }

  unlink(handle: number): void {
    const links = this.links;
    const before = links[2 * handle];
    if (before === UNLINKED) return;
    const after = links[2 * handle + 1];
    if (before !== NONE) links[2 * before + 1] = after;
    else this.head = after;
    if (after !== NONE) links[2 * after] = before;
    else this.tail = before;
    links[2 * handle] = UNLINKED;
    links[2 * handle + 1] = NONE;
    this.length--;
  }

  /** Links `handle` (not linked yet) right after `anchor` (linked), on the tail side. */
  insertAfter(anchor: number, handle: number): void {
    const links = this.links;
    const after = links[2 * anchor + 1];
    links[2 * handle] = anchor;
    links[2 * handle + 1] = after;
    links[2 * anchor + 1] = handle;
    if (after !== NONE) links[2 * after] = handle;
    else this.tail = handle;
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
