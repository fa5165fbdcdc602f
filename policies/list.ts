// An intrusive doubly linked list over integer handles. Each handle's two links sit side by side in
// an Int32Array (previous at stride * h, next at stride * h + 1), so following or unlinking a
// handle reads one cache line instead of one per array. The list owns that array, or uses link
// slots that the cache's owner keeps beside its other per-handle data (see `HandleLinks`). Several
// lists can share a handle space, so a policy with more than one queue (ARC, 2Q, S3-FIFO) uses one
// instance per queue. -1 marks the end of the list; a handle that is not linked has -2 as its
// previous link.

import type { HandleLinks } from './policy.js';

const NONE = -1;
const UNLINKED = -2;

export class DoublyLinkedList {
  head = NONE;
  tail = NONE;
  length = 0;
  private links: Int32Array = new Int32Array(0);
  private stride = 2;
  private readonly shared: HandleLinks | null;

  /** Creates a list in its own array, or, with `shared`, in the owner's link slots. */
  constructor(shared: HandleLinks | null = null) {
    this.shared = shared;
    if (shared !== null) {
      this.links = shared.ints;
      this.stride = shared.stride;
    }
  }

  /** Makes room for handles below `handleCapacity`, keeping the current links. */
  grow(handleCapacity: number): void {
    if (this.shared !== null) {
      // The owner has grown its array and set every new handle's slots unlinked.
      this.links = this.shared.ints;
      return;
    }
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
    return this.links[this.stride * handle] !== UNLINKED;
  }

  /** Returns the handle after `handle` toward the tail, or -1. */
  nextOf(handle: number): number {
    return this.links[this.stride * handle + 1];
  }

  /** Returns the handle before `handle` toward the head, or -1. */
  prevOf(handle: number): number {
    const before = this.links[this.stride * handle];
    return before === UNLINKED ? NONE : before;
  }

  pushHead(handle: number): void {
    const links = this.links;
    const stride = this.stride;
    const head = this.head;
    links[stride * handle] = NONE;
    links[stride * handle + 1] = head;
    if (head !== NONE) links[stride * head] = handle;
    else this.tail = handle;
    this.head = handle;
    this.length++;
  }

  pushTail(handle: number): void {
    const links = this.links;
    const stride = this.stride;
    const tail = this.tail;
    links[stride * handle + 1] = NONE;
    links[stride * handle] = tail;
    if (tail !== NONE) links[stride * tail + 1] = handle;
    else this.head = handle;
    this.tail = handle;
    this.length++;
  }

  unlink(handle: number): void {
    const links = this.links;
    const stride = this.stride;
    const before = links[stride * handle];
    if (before === UNLINKED) return;
    const after = links[stride * handle + 1];
    if (before !== NONE) links[stride * before + 1] = after;
    else this.head = after;
    if (after !== NONE) links[stride * after] = before;
    else this.tail = before;
    links[stride * handle] = UNLINKED;
    links[stride * handle + 1] = NONE;
    this.length--;
  }

  /** Links `handle` (not linked yet) right after `anchor` (linked), on the tail side. */
  insertAfter(anchor: number, handle: number): void {
    const links = this.links;
    const stride = this.stride;
    const after = links[stride * anchor + 1];
    links[stride * handle] = anchor;
    links[stride * handle + 1] = after;
    links[stride * anchor + 1] = handle;
    if (after !== NONE) links[stride * after] = handle;
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

/** Sets the link slots of handles `from` to `to - 1` unlinked, as a new handle's must be. */
export function clearLinks(links: HandleLinks, from: number, to: number): void {
  for (let handle = from; handle < to; handle++) {
    links.ints[links.stride * handle] = UNLINKED;
    links.ints[links.stride * handle + 1] = NONE;
  }
}
