// Admission policies for the tiers below the GPU. When a block is demoted or written into such a
// tier, its admission policy decides whether the tier takes it at all. A rejected block is not
// written, so admission is the lever on SSD write volume and wear.
//
// - `always`: every block offered is admitted.
// - `after(n=N,history=H)`: a block is admitted on its N-th offer to the tier. Offers are counted
//   per block id over the last H distinct ids offered (a FIFO of first offers), so the counts use
//   bounded memory and a block offered once and never again is not written. This is the
//   second-hit admission that flash caches use to keep one-hit wonders off the drive.
// - `multi-turn`: a block is admitted only if it belongs to a later turn of a session (turn >= 1)
//   or has been reused by a request since it was computed. A block of a request that is, so far, a
//   session's only turn (or a request without a session) and was never reused is not written.

import { PolicyError } from './errors.js';
import { KeyTable } from './key-table.js';

export type AdmissionKind = 'always' | 'after' | 'multi-turn';

/** A parsed admission policy with every parameter resolved. */
export interface AdmissionSpec {
  kind: AdmissionKind;
  /** Offers before admission, for `after`. */
  sightings: number;
  /** Distinct block ids whose offers are remembered, for `after`. */
  historyBlocks: number;
  /** `always`, `multi-turn`, or `after(n=N,history=H)`. */
  label: string;
}

const AFTER_DEFAULTS = { n: 2, history: 1_048_576 };

/** Parses `always`, `multi-turn` or `after(n=N,history=H)`; throws PolicyError naming the key and value. */
export function parseAdmission(text: string): AdmissionSpec {
  const trimmed = text.trim();
  if (trimmed === 'always' || trimmed === 'multi-turn') return { kind: trimmed, sightings: 1, historyBlocks: 0, label: trimmed };
  const match = /^after\s*(?:\((.*)\))?$/.exec(trimmed);
  if (match === null) {
    throw new PolicyError(`invalid admission policy "${text}": expected always, multi-turn or after(n=N,history=H)`);
  }
  const values = { ...AFTER_DEFAULTS };
  const body = match[1]?.trim() ?? '';
  for (const pair of body === '' ? [] : body.split(',')) {
    const [rawKey, rawValue, extra] = pair.split('=');
    const key = rawKey?.trim() ?? '';
    const value = Number(rawValue?.trim());
    if (rawValue === undefined || extra !== undefined || !(key in values)) {
      throw new PolicyError(`admission policy "after": invalid parameter "${pair.trim()}": expected n=N or history=H`);
    }
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new PolicyError(`admission policy "after": parameter "${key}" is "${rawValue.trim()}": expected a whole number >= 1`);
    }
    values[key as keyof typeof values] = value;
  }
  return { kind: 'after', sightings: values.n, historyBlocks: values.history, label: `after(n=${values.n},history=${values.history})` };
}

/**
 * Counts offers per block id, remembering at most `capacity` ids. Ids are forgotten in the order
 * they were first offered. Steady-state use allocates nothing.
 */
export class SightingCounter {
  private readonly table = new KeyTable();
  private readonly ring: Float64Array;
  private readonly counts: Int32Array;
  private ringStart = 0;
  private ringCount = 0;

  constructor(readonly capacity: number) {
    this.ring = new Float64Array(capacity);
    this.counts = new Int32Array(capacity);
  }

  /** Records one offer of `key` and returns how many offers of it are remembered, this one included. */
  record(key: number): number {
    const slot = this.table.get(key);
    if (slot !== -1) return ++this.counts[slot];
    if (this.ringCount === this.capacity) {
      const oldest = this.ring[this.ringStart];
      // The oldest id may have been forgotten and offered again since, into a newer slot.
      if (this.table.get(oldest) === this.ringStart) this.table.delete(oldest);
      this.ringStart = (this.ringStart + 1) % this.capacity;
      this.ringCount--;
    }
    const index = (this.ringStart + this.ringCount) % this.capacity;
    this.ring[index] = key;
    this.counts[index] = 1;
    this.table.set(key, index);
    this.ringCount++;
    return 1;
  }

  /** Forgets `key`, once its block has been admitted. */
  forget(key: number): void {
    const slot = this.table.get(key);
    // The ring slot stays until it is recycled; its count no longer matters once the table drops it.
    if (slot !== -1) this.table.delete(key);
  }
}
