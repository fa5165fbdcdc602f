// SSD endurance under a cache's write stream: device write amplification (write-amplification.ts),
// the drive writes per day the stream implies, and the days until the drive's rated endurance is
// used up. Also the bookkeeping of which written blocks a cache ever read back.

import type { DeviceSpec } from './device.js';
import { deviceWriteAmplification } from './write-amplification.js';

// NOTE: erase-block and page sizes are estimates typical of TLC NAND, not figures of any preset's
// datasheet. They decide which writes count as whole-block writes, and the greedy-cleaning k.
/** Erase-block size assumed for every drive, in bytes. */
export const ERASE_BLOCK_BYTES = 32 * 2 ** 20;
/** Flash page size assumed for every drive, in bytes. */
export const PAGE_BYTES = 16 * 2 ** 10;

const SECONDS_PER_DAY = 86_400;
const DAYS_PER_YEAR = 365;

/** The writes of one run to one SSD tier. */
export interface SsdWriteStream {
  /** Bytes the host wrote to the tier. */
  hostBytesWritten: number;
  /** Block writes behind those bytes (each a KV block). */
  blocksWritten: number;
  /** Bytes of valid cache data on the drive at the end of the run. */
  liveBytes: number;
  /** Simulated time the writes took, in seconds. */
  simulatedSeconds: number;
}

/** Rated endurance overrides: a scenario may supply what the device preset lacks. */
export interface EnduranceRating {
  ratedDwpd?: number;
  warrantyYears?: number;
}

export interface SsdEndurance {
  /** Flash bytes written per host byte; null when the drive's raw capacity is unknown. */
  deviceWriteAmplification: number | null;
  /** Flash writes per day over the drive's user capacity; null when either is unknown. */
  driveWritesPerDay: number | null;
  /** Days until the rated endurance is written at this rate; null without a rating or writes. */
  daysToRatedEndurance: number | null;
}

/**
 * Computes the endurance figures of a write stream on `drive`:
 *   driveWritesPerDay = host bytes x write amplification / capacity / simulated days
 *   daysToRatedEndurance = ratedDwpd x capacity x 365 x warrantyYears / (host bytes x amplification per day)
 */
export function ssdEndurance(drive: DeviceSpec, stream: SsdWriteStream, rating: EnduranceRating = {}): SsdEndurance {
  const rawCapacityBytes = drive.rawCapacityBytes;
  const capacityBytes = drive.capacityBytes;
  if (rawCapacityBytes === undefined) return { deviceWriteAmplification: null, driveWritesPerDay: null, daysToRatedEndurance: null };

  const amplification = deviceWriteAmplification({
    rawCapacityBytes,
    // The cache never stores more than the drive's user capacity; the clamp keeps the model's domain.
    liveBytes: Math.min(stream.liveBytes, rawCapacityBytes * (1 - 1e-9)),
    meanWriteBytes: stream.blocksWritten === 0 ? 0 : stream.hostBytesWritten / stream.blocksWritten,
    eraseBlockBytes: ERASE_BLOCK_BYTES,
    pageBytes: PAGE_BYTES,
  });
  if (capacityBytes === undefined || stream.simulatedSeconds <= 0) {
    return { deviceWriteAmplification: amplification, driveWritesPerDay: null, daysToRatedEndurance: null };
  }
  const flashBytesPerDay = (stream.hostBytesWritten * amplification * SECONDS_PER_DAY) / stream.simulatedSeconds;
  const driveWritesPerDay = flashBytesPerDay / capacityBytes;
  const ratedDwpd = rating.ratedDwpd ?? drive.ratedDwpd;
  const warrantyYears = rating.warrantyYears ?? drive.warrantyYears;
  const daysToRatedEndurance =
    ratedDwpd === undefined || warrantyYears === undefined || flashBytesPerDay === 0
      ? null
      : (ratedDwpd * capacityBytes * DAYS_PER_YEAR * warrantyYears) / flashBytesPerDay;
  return { deviceWriteAmplification: amplification, driveWritesPerDay, daysToRatedEndurance };
}

/**
 * Counts the blocks written to a tier that were read back at least once before leaving it. Blocks
 * are integer handles, which a store may recycle once no tier holds the block: a recycled handle
 * is written again before it can be read, which resets its mark.
 */
export class ReadBackTracker {
  /** Written copies read back at least once. */
  readBackBlocks = 0;
  private unread = new Uint8Array(1024);

  /** Marks `handle` as written and not yet read. */
  written(handle: number): void {
    if (handle >= this.unread.length) {
      let size = this.unread.length;
      while (size <= handle) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.unread);
      this.unread = grown;
    }
    this.unread[handle] = 1;
  }

  /** Records a read of `handle`; only the first read of each written copy counts. */
  read(handle: number): void {
    if (handle < this.unread.length && this.unread[handle] === 1) {
      this.unread[handle] = 0;
      this.readBackBlocks++;
    }
  }
}
