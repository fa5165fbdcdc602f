// A fixed-size log-linear histogram of non-negative values (latencies in ns). A value's bucket is
// its binary exponent and the top 10 bits of its mantissa, read from the IEEE-754 bits, so buckets
// are 2^-10 wide relative to their value: a reported percentile is the midpoint of its bucket and
// lies within 0.05% of the exact order statistic. Memory is fixed (54 x 1,024 counters), so it does
// not grow with the number of requests, and recording allocates nothing.

const MANTISSA_BITS = 10;
const SUB_BUCKETS = 1 << MANTISSA_BITS;
// Exponents 0..53 cover every integer up to 2^54; values below 1 share bucket 0.
const EXPONENTS = 54;

const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);
// Index of the high 32-bit word of a float64 in `scratchWords` (1 on little-endian machines).
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

function bucketOf(value: number): number {
  if (value < 1) return 0;
  scratch[0] = value;
  const high = scratchWords[HIGH_WORD];
  const exponent = ((high >>> 20) & 0x7ff) - 1023;
  const subBucket = (high >>> (20 - MANTISSA_BITS)) & (SUB_BUCKETS - 1);
  const index = exponent * SUB_BUCKETS + subBucket;
  return index < EXPONENTS * SUB_BUCKETS ? index : EXPONENTS * SUB_BUCKETS - 1;
}

function bucketLowerBound(index: number): number {
  const exponent = Math.floor(index / SUB_BUCKETS);
  const subBucket = index % SUB_BUCKETS;
  return 2 ** exponent * (1 + subBucket / SUB_BUCKETS);
}

export class Histogram {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  private readonly counts = new Float64Array(EXPONENTS * SUB_BUCKETS);

  record(value: number): void {
    this.counts[bucketOf(value)]++;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  get mean(): number {
    return this.count === 0 ? Number.NaN : this.sum / this.count;
  }

  /**
   * Returns the `quantile` (0..1) by the nearest-rank rule: the midpoint of the bucket holding the
   * ceil(quantile x count)-th smallest value, clamped to the recorded minimum and maximum. NaN when
   * nothing was recorded.
   */
  quantile(quantile: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(quantile * this.count));
    let seen = 0;
    for (let index = 0; index < this.counts.length; index++) {
      seen += this.counts[index];
      if (seen >= rank) {
        if (index === 0) return this.min < 1 ? this.min : 0.5;
        const lower = bucketLowerBound(index);
        const upper = bucketLowerBound(index + 1);
        const midpoint = (lower + upper) / 2;
        return Math.min(Math.max(midpoint, this.min), this.max);
      }
    }
    return this.max;
  }
}
