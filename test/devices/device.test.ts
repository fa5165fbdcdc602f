// DeviceQueue against closed forms that follow from its definition: channels, then a per-command
// latency, then an FCFS pipe per operation with a bandwidth and a command-rate ceiling.

import { describe, expect, it } from 'vitest';
import { DeviceQueue, Operation, stripeDevices, type DeviceSpec } from '../../devices/device.js';
import { predictIops, predictLatencyNs } from '../../devices/presets.js';
import { runClosedLoop } from './closed-loop.js';

// 10 us latency and 1 GB/s, so a 4096-byte command costs 10,000 + 4,096 ns.
function testDevice(channels: number, commandsPerSec = Infinity): DeviceSpec {
  return {
    name: 'test',
    description: 'test device',
    source: 'test',
    channels,
    read: { latencyNs: 10_000, bytesPerSec: 1e9, commandsPerSec },
    write: { latencyNs: 20_000, bytesPerSec: 0.5e9, commandsPerSec },
  };
}

describe('DeviceQueue.submit', () => {
  it('lone command costs latency plus transfer', () => {
    const queue = new DeviceQueue(testDevice(4));
    expect(queue.submit(Operation.Read, 0, 4096)).toBe(14_096);
  });

  it('lone command starts at its submission instant', () => {
    const queue = new DeviceQueue(testDevice(4));
    expect(queue.submit(Operation.Read, 500, 4096)).toBe(14_596);
  });

  it('lone write uses the write latency and bandwidth', () => {
    const queue = new DeviceQueue(testDevice(4));
    expect(queue.submit(Operation.Write, 0, 4096)).toBe(20_000 + 8_192);
  });

  it('fractional transfer rounds completion up', () => {
    const queue = new DeviceQueue({ ...testDevice(1), read: { latencyNs: 0, bytesPerSec: 3e9, commandsPerSec: Infinity } });
    expect(queue.submit(Operation.Read, 0, 1)).toBe(1);
  });

  it('one channel serves back-to-back commands in n x service', () => {
    const queue = new DeviceQueue(testDevice(1));
    const serviceNs = 14_096;
    for (let n = 1; n <= 20; n++) {
      expect(queue.submit(Operation.Read, 0, 4096)).toBe(n * serviceNs);
    }
  });

  it('c channels overlap latency but share the pipe', () => {
    const queue = new DeviceQueue(testDevice(4));
    // All four are ready at 10,000 ns; the pipe then moves their bytes one after another.
    const ends = [0, 1, 2, 3].map(() => queue.submit(Operation.Read, 0, 4096));
    expect(ends).toEqual([14_096, 18_192, 22_288, 26_384]);
  });

  it('reads and writes use separate pipes', () => {
    const queue = new DeviceQueue(testDevice(4));
    expect(queue.submit(Operation.Read, 0, 4096)).toBe(14_096);
    expect(queue.submit(Operation.Write, 0, 4096)).toBe(28_192);
  });

  it('counts commands and bytes per operation', () => {
    const queue = new DeviceQueue(testDevice(4));
    queue.submit(Operation.Read, 0, 4096);
    queue.submit(Operation.Read, 0, 100);
    queue.submit(Operation.Write, 0, 7);
    expect(Array.from(queue.commands)).toEqual([2, 1]);
    expect(Array.from(queue.bytes)).toEqual([4196, 7]);
  });

  it('idleFrom is the last channel release', () => {
    const queue = new DeviceQueue(testDevice(4));
    queue.submit(Operation.Read, 0, 4096);
    queue.submit(Operation.Read, 0, 4096);
    expect(queue.idleFrom()).toBe(18_192);
  });
});

describe('DeviceQueue closed loop', () => {
  it('small commands tend to channels / latency', () => {
    const channels = 8;
    const result = runClosedLoop(testDevice(channels), Operation.Read, 1, 64, 20_000);
    // 1 byte takes 1 ns in the pipe, so the bound is 8 / 10,001 ns.
    expect(result.iops).toBeCloseTo((channels * 1e9) / 10_001, -1);
    expect(Math.abs(result.iops / ((channels * 1e9) / 10_000) - 1)).toBeLessThan(1e-3);
  });

  it('queue depth below channels limits to depth / latency', () => {
    const result = runClosedLoop(testDevice(8), Operation.Read, 1, 3, 20_000);
    expect(result.iops).toBeCloseTo((3 * 1e9) / 10_001, -1);
  });

  it('large commands saturate at bytesPerSec', () => {
    const result = runClosedLoop(testDevice(8), Operation.Read, 1 << 20, 32, 5_000);
    expect(Math.abs(result.bytesPerSec / 1e9 - 1)).toBeLessThan(1e-3);
  });

  it('large writes saturate at the write bytesPerSec', () => {
    const result = runClosedLoop(testDevice(8), Operation.Write, 1 << 20, 32, 5_000);
    expect(Math.abs(result.bytesPerSec / 0.5e9 - 1)).toBeLessThan(1e-3);
  });

  it('commandsPerSec caps IOPS', () => {
    // Without the cap, 64 channels / 10 us would allow 6.4 M commands per second.
    const result = runClosedLoop(testDevice(64, 200_000), Operation.Read, 1, 256, 20_000);
    expect(Math.abs(result.iops / 200_000 - 1)).toBeLessThan(1e-3);
  });

  it('queue depth one costs latency plus transfer per command', () => {
    const result = runClosedLoop(testDevice(8), Operation.Read, 4096, 1, 2_000);
    expect(result.meanLatencyNs).toBe(14_096);
    expect(result.iops).toBeCloseTo(1e9 / 14_096, 3);
  });
});

describe('predictIops and predictLatencyNs', () => {
  const cases: Array<{ channels: number; commandsPerSec: number; op: Operation; bytes: number; queueDepth: number }> = [];
  for (const channels of [1, 4, 32]) {
    for (const commandsPerSec of [Infinity, 150_000]) {
      for (const op of [Operation.Read, Operation.Write]) {
        for (const bytes of [0, 512, 4096, 65_536, 1 << 20]) {
          for (const queueDepth of [1, 2, 7, 32, 128]) cases.push({ channels, commandsPerSec, op, bytes, queueDepth });
        }
      }
    }
  }

  it.each(cases)(
    'closed loop matches closed form: $channels ch, $commandsPerSec cmd/s, op $op, $bytes B, QD $queueDepth',
    ({ channels, commandsPerSec, op, bytes, queueDepth }) => {
      const spec = testDevice(channels, commandsPerSec);
      const measured = runClosedLoop(spec, op, bytes, queueDepth, 4_000);
      const predictedIops = predictIops(spec, op, bytes, queueDepth);
      const predictedLatencyNs = predictLatencyNs(spec, op, bytes, queueDepth);
      expect(Math.abs(measured.iops / predictedIops - 1)).toBeLessThan(1e-6);
      expect(Math.abs(measured.meanLatencyNs / predictedLatencyNs - 1)).toBeLessThan(1e-6);
    },
  );

  it('rejects a queue depth below 1', () => {
    expect(() => predictIops(testDevice(1), Operation.Read, 4096, 0)).toThrow(/queue depth 0/);
  });

  it('rejects a fractional queue depth', () => {
    expect(() => predictIops(testDevice(1), Operation.Read, 4096, 1.5)).toThrow(/queue depth 1.5/);
  });

  it('rejects a negative command size', () => {
    expect(() => predictIops(testDevice(1), Operation.Read, -1, 4)).toThrow(/command size -1/);
  });

  it('input errors carry ERR_KVTIER_INPUT', () => {
    try {
      predictIops(testDevice(1), Operation.Read, 4096, 0);
      expect.unreachable();
    } catch (error) {
      expect((error as { code?: string }).code).toBe('ERR_KVTIER_INPUT');
    }
  });
});

describe('DeviceQueue.checkpoint and rollback', () => {
  it('rollback restores completion instants and counters exactly', () => {
    const queue = new DeviceQueue(testDevice(3, 500_000));
    const reference = new DeviceQueue(testDevice(3, 500_000));
    const prefix: Array<[Operation, number, number]> = [
      [Operation.Read, 0, 4096],
      [Operation.Write, 100, 65_536],
      [Operation.Read, 200, 1 << 20],
      [Operation.Read, 5_000, 512],
    ];
    for (const [op, at, bytes] of prefix) {
      queue.submit(op, at, bytes);
      reference.submit(op, at, bytes);
    }

    queue.checkpoint();
    const trial = [queue.submit(Operation.Read, 6_000, 1 << 20), queue.submit(Operation.Write, 6_000, 1 << 20)];
    queue.rollback();

    expect(Array.from(queue.commands)).toEqual(Array.from(reference.commands));
    expect(Array.from(queue.bytes)).toEqual(Array.from(reference.bytes));
    expect(queue.idleFrom()).toBe(reference.idleFrom());
    const replay = [queue.submit(Operation.Read, 6_000, 1 << 20), queue.submit(Operation.Write, 6_000, 1 << 20)];
    expect(replay).toEqual(trial);

    // After the same replay on the reference, every later completion must agree, which checks the
    // channel heap and both pipes, not only the counters.
    reference.submit(Operation.Read, 6_000, 1 << 20);
    reference.submit(Operation.Write, 6_000, 1 << 20);
    for (const at of [7_000, 8_000, 9_000]) {
      expect(queue.submit(Operation.Read, at, 4096)).toBe(reference.submit(Operation.Read, at, 4096));
      expect(queue.submit(Operation.Write, at, 512)).toBe(reference.submit(Operation.Write, at, 512));
    }
  });

  it('rollback after rollback returns to the same checkpoint', () => {
    const queue = new DeviceQueue(testDevice(2));
    queue.submit(Operation.Read, 0, 4096);
    queue.checkpoint();
    const first = queue.submit(Operation.Read, 0, 4096);
    queue.rollback();
    queue.submit(Operation.Read, 0, 1 << 20);
    queue.rollback();
    expect(queue.submit(Operation.Read, 0, 4096)).toBe(first);
  });
});

describe('stripeDevices', () => {
  it('count 1 returns the spec itself', () => {
    const spec = testDevice(4);
    expect(stripeDevices(spec, 1)).toBe(spec);
  });

  it('scales channels, bandwidth, command rate and capacity', () => {
    const striped = stripeDevices({ ...testDevice(4, 100_000), capacityBytes: 1e12 }, 3);
    expect(striped.name).toBe('testx3');
    expect(striped.channels).toBe(12);
    expect(striped.read.bytesPerSec).toBe(3e9);
    expect(striped.write.commandsPerSec).toBe(300_000);
    expect(striped.read.latencyNs).toBe(10_000);
    expect(striped.capacityBytes).toBe(3e12);
  });

  it('striped IOPS and bandwidth scale with the count', () => {
    const single = testDevice(4, 100_000);
    const striped = stripeDevices(single, 4);
    const smallSingle = runClosedLoop(single, Operation.Read, 512, 256, 10_000);
    const smallStriped = runClosedLoop(striped, Operation.Read, 512, 256, 10_000);
    expect(Math.abs(smallStriped.iops / smallSingle.iops - 4)).toBeLessThan(4e-3);
    const largeSingle = runClosedLoop(single, Operation.Read, 1 << 20, 64, 2_000);
    const largeStriped = runClosedLoop(striped, Operation.Read, 1 << 20, 64, 2_000);
    expect(Math.abs(largeStriped.bytesPerSec / largeSingle.bytesPerSec - 4)).toBeLessThan(4e-3);
  });
});
