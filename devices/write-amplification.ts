// Device-level write amplification from garbage collection, after P. Desnoyers, "Analytic Modeling
// of SSD Write Performance", SYSTOR 2012.
//
// Under uniform random single-page overwrites, with spare factor Sf = (physical - logical) / physical
// and alpha = 1 / (1 - Sf), FIFO (or LRU) cleaning writes
//   A = alpha / (alpha + W0(-alpha e^-alpha))
// flash pages per host page (W0 is the principal branch of the Lambert W function), and greedy
// cleaning with Np pages per erase block writes A_greedy = A(k alpha) / k with k = 1 + 1 / (2 Np).
// Writes that invalidate whole erase blocks together (large, aligned, log-structured) leave no live
// pages to copy, so their amplification is 1.

/** Principal branch W0 of the Lambert W function, for x in [-1/e, 0]: the w >= -1 with w e^w = x. */
export function lambertW0(x: number): number {
  const minimum = -Math.exp(-1);
  if (!(x >= minimum - 1e-15 && x <= 0)) throw new RangeError(`lambertW0 is defined here for x in [-1/e, 0], got ${x}`);
  if (x <= minimum) return -1;
  if (x === 0) return 0;
  // Start from the branch-point series near -1/e and from w = x near 0, then refine with Halley's method.
  const p = Math.sqrt(2 * (Math.E * x + 1));
  let w = x < -0.25 ? -1 + p - (p * p) / 3 + (11 / 72) * p * p * p : x;
  for (let i = 0; i < 50; i++) {
    const e = Math.exp(w);
    const f = w * e - x;
    const next = w - f / (e * (w + 1) - ((w + 2) * f) / (2 * w + 2));
    if (Math.abs(next - w) <= 1e-15 * Math.max(1, Math.abs(next))) return next;
    w = next;
  }
  return w;
}

/** Write amplification of FIFO/LRU cleaning at `alpha` = physical / logical capacity (alpha > 1). */
export function wafFifoAtAlpha(alpha: number): number {
  if (!(alpha > 1)) throw new RangeError(`alpha must exceed 1 (some spare capacity), got ${alpha}`);
  // For large alpha, -alpha e^-alpha underflows toward 0, W0 toward 0 and A toward 1.
  return alpha / (alpha + lambertW0(-alpha * Math.exp(-alpha)));
}

/** Spare factor (physical - logical) / physical to alpha = physical / logical. */
export function alphaOfSpareFactor(spareFactor: number): number {
  if (!(spareFactor > 0 && spareFactor <= 1)) throw new RangeError(`spare factor must be in (0, 1], got ${spareFactor}`);
  return 1 / (1 - spareFactor);
}

/** Write amplification of FIFO/LRU cleaning under uniform random page writes; 1 for an empty drive. */
export function wafFifo(spareFactor: number): number {
  if (spareFactor === 1) return 1;
  return wafFifoAtAlpha(alphaOfSpareFactor(spareFactor));
}

/** Write amplification of greedy cleaning with `pagesPerBlock` pages per erase block. */
export function wafGreedy(spareFactor: number, pagesPerBlock: number): number {
  if (!(pagesPerBlock >= 1)) throw new RangeError(`pages per erase block must be >= 1, got ${pagesPerBlock}`);
  if (spareFactor === 1) return 1;
  const k = 1 + 1 / (2 * pagesPerBlock);
  // At large spare factors A(k alpha) / k dips below 1, which no drive can do: every host page is
  // written to flash at least once.
  return Math.max(1, wafFifoAtAlpha(k * alphaOfSpareFactor(spareFactor)) / k);
}

/** A drive and the data a cache keeps on it. */
export interface WriteAmplificationInput {
  /** Flash capacity including over-provisioning, in bytes. */
  rawCapacityBytes: number;
  /** Bytes of valid data on the drive (the cache's live blocks); trimmed space counts as spare. */
  liveBytes: number;
  /** Mean size of one host write, in bytes. */
  meanWriteBytes: number;
  /** Erase-block size, in bytes. */
  eraseBlockBytes: number;
  /** Flash page size, in bytes. */
  pageBytes: number;
}

/**
 * Estimates the device write amplification of a cache's write stream. The share of each write that
 * fills whole erase blocks costs 1. The rest costs the greedy-cleaning amplification of small random
 * writes at the spare factor that the live data leaves, 1 - liveBytes / rawCapacityBytes.
 */
export function deviceWriteAmplification(input: WriteAmplificationInput): number {
  const { rawCapacityBytes, liveBytes, meanWriteBytes, eraseBlockBytes, pageBytes } = input;
  if (!(rawCapacityBytes > 0)) throw new RangeError(`raw capacity must be > 0 bytes, got ${rawCapacityBytes}`);
  if (!(liveBytes >= 0 && liveBytes < rawCapacityBytes)) {
    throw new RangeError(`live bytes must be in [0, raw capacity ${rawCapacityBytes}), got ${liveBytes}`);
  }
  if (!(meanWriteBytes > 0)) return 1;
  const wholeBlockShare = (Math.floor(meanWriteBytes / eraseBlockBytes) * eraseBlockBytes) / meanWriteBytes;
  const random = wafGreedy(1 - liveBytes / rawCapacityBytes, eraseBlockBytes / pageBytes);
  return wholeBlockShare + (1 - wholeBlockShare) * random;
}
