// Endurance arithmetic on round numbers, and the write-mode lever it exists to judge: the same
// scenario with a write-through SSD path writes more and wears the drive out sooner than with
// write-back.

import { describe, expect, it } from 'vitest';
import type { DeviceSpec } from '../../devices/device.js';
import { ERASE_BLOCK_BYTES, ReadBackTracker, ssdEndurance } from '../../devices/endurance.js';
import { buildSummary } from '../../results/summary.js';
import { collectRunFacts, runScenario } from '../../sim/run.js';
import { parseScenario } from '../../sim/scenario.js';

const drive: DeviceSpec = {
  name: 'round',
  description: 'test drive',
  source: 'test, 2026',
  channels: 1,
  read: { latencyNs: 1, bytesPerSec: 1e9, commandsPerSec: Infinity },
  write: { latencyNs: 1, bytesPerSec: 1e9, commandsPerSec: Infinity },
  capacityBytes: 1e12,
  rawCapacityBytes: 1.1e12,
  ratedDwpd: 1,
  warrantyYears: 5,
};

describe('ssdEndurance', () => {
  it('one capacity of whole-block writes a day is 1 DWPD', () => {
    const stream = { hostBytesWritten: 1e12, blocksWritten: 1e12 / ERASE_BLOCK_BYTES, liveBytes: 0.5e12, simulatedSeconds: 86_400 };
    const endurance = ssdEndurance(drive, stream);
    expect(endurance.deviceWriteAmplification).toBe(1);
    expect(endurance.driveWritesPerDay).toBeCloseTo(1, 12);
    // Rated 1 DWPD for 5 years: 1,825 days at exactly that rate.
    expect(endurance.daysToRatedEndurance).toBeCloseTo(1825, 9);
  });

  it('amplification shortens the life', () => {
    const stream = { hostBytesWritten: 1e12, blocksWritten: 1e6, liveBytes: 0.9e12, simulatedSeconds: 86_400 };
    const endurance = ssdEndurance(drive, stream);
    expect(endurance.deviceWriteAmplification).toBeGreaterThan(1);
    expect(endurance.driveWritesPerDay).toBeCloseTo(endurance.deviceWriteAmplification as number, 12);
    expect(endurance.daysToRatedEndurance).toBeCloseTo(1825 / (endurance.deviceWriteAmplification as number), 9);
  });

  it('a scenario rating overrides the preset', () => {
    const stream = { hostBytesWritten: 1e12, blocksWritten: 1e12 / ERASE_BLOCK_BYTES, liveBytes: 0, simulatedSeconds: 86_400 };
    expect(ssdEndurance(drive, stream, { ratedDwpd: 3 }).daysToRatedEndurance).toBeCloseTo(5475, 9);
  });

  it('figures are null without raw capacity or rating', () => {
    const stream = { hostBytesWritten: 1e12, blocksWritten: 1, liveBytes: 0, simulatedSeconds: 86_400 };
    expect(ssdEndurance({ ...drive, rawCapacityBytes: undefined }, stream).deviceWriteAmplification).toBeNull();
    expect(ssdEndurance({ ...drive, ratedDwpd: undefined }, stream).daysToRatedEndurance).toBeNull();
  });
});

describe('ReadBackTracker', () => {
  it('counts the first read of each written copy', () => {
    const tracker = new ReadBackTracker();
    tracker.written(3);
    tracker.written(5000);
    tracker.read(3);
    tracker.read(3);
    tracker.read(7);
    expect(tracker.readBackBlocks).toBe(1);
    tracker.written(3);
    tracker.read(3);
    tracker.read(5000);
    expect(tracker.readBackBlocks).toBe(3);
  });
});

describe('write-through against write-back on the SSD path', () => {
  // A small DRAM tier pushes blocks to the SSD; the Sabrent profile gets a rating so that the
  // days to rated endurance are defined.
  const run = (writeMode: 'write-back' | 'write-through') => {
    const scenario = parseScenario(
      {
        name: writeMode,
        tiers: { dram: { capacity: '16GB', writeMode }, ssd: { device: 'sabrent-rocket4plus-2tb', ratedDwpd: 0.3, warrantyYears: 5 } },
        workload: { kind: 'synthetic', sessions: 60 },
      },
      'test',
    );
    return buildSummary(collectRunFacts(runScenario(scenario), 'test'));
  };
  const back = run('write-back');
  const through = run('write-through');

  it('write-back writes to the SSD', () => {
    expect(back.ssd.bytesWritten).toBeGreaterThan(0);
  });

  it('write-through writes more', () => {
    expect(through.ssd.bytesWritten).toBeGreaterThan(back.ssd.bytesWritten);
  });

  it('write-through wears the drive faster', () => {
    expect(through.ssd.driveWritesPerDay as number).toBeGreaterThan(back.ssd.driveWritesPerDay as number);
    expect(through.ssd.daysToRatedEndurance as number).toBeLessThan(back.ssd.daysToRatedEndurance as number);
  });

  it('reports every SSD endurance metric', () => {
    for (const summary of [back, through]) {
      expect(summary.ssd.deviceWriteAmplification).toBeGreaterThanOrEqual(1);
      expect(summary.ssd.neverReadBlocksShare).toBeGreaterThanOrEqual(0);
      expect(summary.ssd.neverReadBlocksShare).toBeLessThanOrEqual(1);
      expect(summary.ssd.bytesWrittenPerHitByte).toBeGreaterThan(0);
    }
  });
});
