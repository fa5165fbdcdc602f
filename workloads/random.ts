// Seeded random sources for workloads. Every draw traces back to the run's seed through the
// seedrandom package, and each purpose (arrivals, turn counts, prompt lengths, ...) has its own
// stream, so changing how one purpose draws does not shift the values any other purpose receives.

import seedrandom from 'seedrandom';

const TWO_POW_32 = 4_294_967_296;
const TWO_POW_53 = 9_007_199_254_740_992;

/**
 * Creates the uniform generator of one named stream of `seed`. The generator returns doubles in
 * [0, 1) with 53 random bits, from seedrandom's xor4096 algorithm, whose `double()` also never
 * returns 0. The number seed `7` and the string seed `'7'` give the same streams, because
 * configuration files and command lines may spell a seed either way.
 */
export function createRng(seed: number | string, stream: string): () => number {
  if (typeof seed === 'number' && !Number.isFinite(seed)) {
    throw new RangeError(`seed must be a finite number or a string, received ${seed}`);
  }
  if (stream.length === 0) {
    throw new RangeError('stream name must not be empty');
  }
  // JSON of the pair keeps seed 'a/b' with stream 'c' apart from seed 'a' with stream 'b/c'.
  const generator = seedrandom.xor4096(JSON.stringify([String(seed), stream]));
  return generator.double;
}

/** Draws a 32-bit unsigned integer key from a uniform generator. */
export function drawKey32(rng: () => number): number {
  return Math.floor(rng() * TWO_POW_32) >>> 0;
}

/**
 * Hashes four 32-bit words to an integer in [0, 2^53), exactly representable in a double.
 * Arguments outside the 32-bit range are truncated to their low 32 bits, so callers keep them in
 * [0, 2^32). Two murmur3-style lanes with different seeds give the low 32 and the high 21 bits.
 */
export function hash53(key: number, a: number, b: number, c: number): number {
  const low = finalizeWord(mixWord(mixWord(mixWord(key, a), b), c) ^ 12);
  const high = finalizeWord(mixWord(mixWord(mixWord(key ^ 0x5bd1e995, a), b), c) ^ 12) >>> 11;
  return high * TWO_POW_32 + low;
}

// One murmur3 body step: scramble `word` and fold it into the running hash `h`.
function mixWord(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

// The murmur3 finalizer: every input bit affects every output bit.
function finalizeWord(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A counter-based uniform generator. Draw number `counter` of substream `substream` is a hash of
 * (key, substream, counter), where the key comes from `createRng(seed, stream)`. Each session can
 * therefore own a substream whose draws do not depend on the order in which the simulator
 * serves sessions, and its whole state is two integers that fit in typed arrays.
 *
 * Usage: set `substream` and `counter`, call `next` as often as needed, then save `counter`.
 */
export class CounterRng {
  /** Substream index, an integer in [0, 2^32). */
  substream = 0;
  /** Index of the next draw within the substream, an integer in [0, 2^32). */
  counter = 0;
  /** Returns the next uniform double in [0, 1) of the current substream and advances `counter`. */
  readonly next: () => number;

  constructor(seed: number | string, stream: string) {
    const key = drawKey32(createRng(seed, stream));
    this.next = () => {
      const value = hash53(key, this.substream, this.counter, 0) / TWO_POW_53;
      this.counter = (this.counter + 1) >>> 0;
      return value;
    };
  }
}
