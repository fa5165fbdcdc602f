// Simulated time. kvtier's clock counts integer nanoseconds held in a JS number, which is exact up
// to 2^53 ns (about 104 days of simulated time). Instants end in `At`, durations in `Ns`.

/** An instant or a duration of simulated time, in integer nanoseconds. */
export type Nanoseconds = number;

export const NS_PER_US = 1_000;
export const NS_PER_MS = 1_000_000;
export const NS_PER_SEC = 1_000_000_000;

/** The largest instant the clock represents exactly. */
export const MAX_TIME_NS: Nanoseconds = Number.MAX_SAFE_INTEGER;

/** Converts seconds (any real) to whole nanoseconds, rounding up so a positive duration never becomes 0. */
export function secondsToNs(seconds: number): Nanoseconds {
  return Math.ceil(seconds * NS_PER_SEC);
}

export function nsToMs(ns: Nanoseconds): number {
  return ns / NS_PER_MS;
}

export function nsToSeconds(ns: Nanoseconds): number {
  return ns / NS_PER_SEC;
}
