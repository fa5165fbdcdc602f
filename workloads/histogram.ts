// A histogram of non-negative values with fixed relative precision, for percentiles of long
// traces in constant memory. Values are floored to integers first (callers pick the unit: tokens,
// milliseconds). Integers below 2^14 are kept exactly, and larger ones are rounded down to 14
// significant bits, a relative error below 2^-13 (0.012%). This is the log-linear bucketing of
// HdrHistogram: each power of two above 2^13 is split into 2^13 equal buckets.

const PRECISION_BITS = 13;
const SUB_BUCKETS = 1 << PRECISION_BITS;
const INITIAL_BUCKETS = 2 * SUB_BUCKETS;

export class QuantileHistogram {
  /** Number of recorded values. */
  count = 0;
  /** Exact sum of the recorded values before flooring. */
  sum = 0;
  min = Infinity;
  max = -Infinity;
  private counts = new Float64Array(INITIAL_BUCKETS);

  /** Records `value` (non-negative; NaN and negative values throw). */
  record(value: number): void {
    if (!(value >= 0) || !Number.isFinite(value)) {
      throw new RangeError(`histogram values must be finite and non-negative, received ${value}`);
    }
    const index = bucketIndex(Math.floor(value));
    if (index >= this.counts.length) {
      const grown = new Float64Array(Math.max(index + 1, this.counts.length * 2));
      grown.set(this.counts);
      this.counts = grown;
    }
    this.counts[index]++;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  /** Returns the mean of the recorded values, or NaN when there are none. */
  mean(): number {
    return this.count === 0 ? NaN : this.sum / this.count;
  }

  /**
   * Returns the `q` quantile (0 <= q <= 1) by linear interpolation between the two nearest order
   * statistics (Hyndman and Fan's type 7, the default of NumPy and d3-array), using each value's
   * bucket floor. Returns NaN when the histogram is empty.
   */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const position = (this.count - 1) * q;
    const lowerRank = Math.floor(position);
    const lower = this.valueAtRank(lowerRank);
    const fraction = position - lowerRank;
    if (fraction === 0) return lower;
    return lower + fraction * (this.valueAtRank(lowerRank + 1) - lower);
  }

  /**
   * Returns `points` values, the bucket floors at the quantiles (i + 0.5) / points for
   * i = 0..points-1, by nearest rank without interpolation, so each is a value the histogram
   * holds. Equal weights on them form an empirical distribution close to the recorded one.
   */
  quantileTable(points: number): number[] {
    const table: number[] = [];
    if (this.count === 0) return table;
    for (let index = 0; index < points; index++) {
      const rank = Math.min(this.count - 1, Math.floor(((index + 0.5) / points) * this.count));
      table.push(this.valueAtRank(rank));
    }
    return table;
  }

  // Returns the bucket floor of the value with 0-based rank `rank` in sorted order.
  private valueAtRank(rank: number): number {
    let seen = 0;
    const counts = this.counts;
    for (let index = 0; index < counts.length; index++) {
      seen += counts[index];
      if (seen > rank) return bucketFloor(index);
    }
    return bucketFloor(counts.length - 1);
  }
}

function bucketIndex(value: number): number {
  if (value < INITIAL_BUCKETS) return value;
  const exponent = Math.floor(Math.log2(value));
  // Math.log2 can round up just below a power of two, so the exponent is corrected.
  const octave = value < 2 ** exponent ? exponent - 1 : exponent;
  const shift = octave - PRECISION_BITS;
  return shift * SUB_BUCKETS + Math.floor(value / 2 ** shift);
}

function bucketFloor(index: number): number {
  if (index < INITIAL_BUCKETS) return index;
  const shift = Math.floor(index / SUB_BUCKETS) - 1;
  return (index - shift * SUB_BUCKETS) * 2 ** shift;
}
