// Admission policies of the tiers below the GPU: parsing, the KV store's counting of offers, and
// their effect on SSD writes in a full run.

import { describe, expect, it } from 'vitest';
import { parseAdmission, SightingCounter } from '../../policies/admission.js';
import { parsePolicySpec } from '../../policies/registry.js';
import { buildSummary } from '../../results/summary.js';
import { DEFAULT_SCENARIO } from '../../sim/default-scenario.js';
import { KvStore, type TierSpec } from '../../sim/kv-store.js';
import { collectRunFacts, runScenario } from '../../sim/run.js';
import { mergeScenario, parseScenario } from '../../sim/scenario.js';

describe('parseAdmission', () => {
  it('applies the defaults of after', () => {
    expect(parseAdmission('after').label).toBe('after(n=2,history=1048576)');
    expect(parseAdmission('after(n=3)')).toMatchObject({ kind: 'after', sightings: 3, historyBlocks: 1_048_576 });
  });

  it('accepts always and multi-turn', () => {
    expect(parseAdmission('always').kind).toBe('always');
    expect(parseAdmission(' multi-turn ').kind).toBe('multi-turn');
  });

  it('rejects an unknown policy', () => {
    expect(() => parseAdmission('never')).toThrow('invalid admission policy "never": expected always, multi-turn or after(n=N,history=H)');
  });

  it('rejects an unknown key', () => {
    expect(() => parseAdmission('after(m=2)')).toThrow('admission policy "after": invalid parameter "m=2"');
  });

  it('rejects a count below 1', () => {
    expect(() => parseAdmission('after(n=0)')).toThrow('admission policy "after": parameter "n" is "0": expected a whole number >= 1');
  });

  it('is validated with the scenario', () => {
    expect(() => parseScenario({ tiers: { ssd: { admission: 'sometimes' } } }, 'test')).toThrow(/tiers\.ssd\.admission: invalid admission policy "sometimes"/);
  });
});

describe('SightingCounter', () => {
  it('counts offers per key', () => {
    const counter = new SightingCounter(4);
    expect(counter.record(7)).toBe(1);
    expect(counter.record(7)).toBe(2);
    expect(counter.record(8)).toBe(1);
  });

  it('forgets the oldest key beyond its capacity', () => {
    const counter = new SightingCounter(2);
    counter.record(1);
    counter.record(2);
    counter.record(3);
    expect(counter.record(1)).toBe(1);
    expect(counter.record(3)).toBe(2);
  });

  it('keeps a key offered again after it was forgotten', () => {
    const counter = new SightingCounter(3);
    counter.record(1);
    counter.forget(1);
    counter.record(1);
    counter.record(2);
    // The ring recycles the slot of 1's first offer; the entry of its second offer must survive.
    counter.record(3);
    expect(counter.record(1)).toBe(2);
  });
});

function twoTiers(admission: string): KvStore {
  const tier = (name: string, capacity: number, extra: Partial<TierSpec> = {}): TierSpec => ({
    name, capacity, policy: parsePolicySpec('lru'), writeMode: 'write-back', writeSelectiveHits: 2, exclusive: false, ...extra,
  });
  return new KvStore([tier('gpu', 1), tier('ssd', 4, { admission: parseAdmission(admission) })], { bytesPerToken: 1, unitSizes: true });
}

describe('KvStore admission', () => {
  it('after(n=2) writes a block on its second demotion', () => {
    const store = twoTiers('after(n=2)');
    store.touch(1, 16, -1);
    store.touch(2, 16, -1); // demotes 1: first offer, rejected
    expect(store.find(1)).toBe(-1);
    store.touch(1, 16, -1); // demotes 2: first offer
    store.touch(3, 16, -1); // demotes 1: second offer, written
    expect(store.residencyOf(store.find(1))).toBe(0b10);
    expect(store.writtenBlocks[1]).toBe(1);
    expect(store.rejectedBlocks[1]).toBe(2);
  });

  it('multi-turn skips first-turn blocks never reused', () => {
    const store = twoTiers('multi-turn');
    store.access.turn = 0;
    store.touch(1, 16, -1);
    store.touch(2, 16, -1); // demotes 1: turn 0, never reused
    expect(store.find(1)).toBe(-1);
    store.access.turn = 1;
    store.touch(3, 16, -1); // demotes 2, turn 0
    store.touch(4, 16, -1); // demotes 3, turn 1: written
    expect(store.residencyOf(store.find(3))).toBe(0b10);
    expect(store.writtenBlocks[1]).toBe(1);
  });

  it('multi-turn writes a reused first-turn block', () => {
    const store = twoTiers('multi-turn');
    store.access.turn = 0;
    store.touch(1, 16, -1);
    store.touch(1, 16, -1);
    store.touch(2, 16, -1);
    expect(store.residencyOf(store.find(1))).toBe(0b10);
  });

  it('does not apply to the first tier', () => {
    const store = new KvStore(
      [{ name: 'gpu', capacity: 2, policy: parsePolicySpec('lru'), writeMode: 'write-back', writeSelectiveHits: 2, exclusive: false, admission: parseAdmission('after(n=5)') }],
      { bytesPerToken: 1, unitSizes: true },
    );
    store.touch(1, 16, -1);
    expect(store.find(1)).toBeGreaterThanOrEqual(0);
  });
});

describe('admission in a run', () => {
  // A small GPU and DRAM tier push most blocks down to the SSD.
  function ssdBytesWritten(admission: string): number {
    const scenario = parseScenario(
      mergeScenario(DEFAULT_SCENARIO, { workload: { sessions: 60 }, tiers: { gpu: { capacity: '2GB' }, dram: { capacity: '4GB' }, ssd: { admission } } }),
      'test',
    );
    return buildSummary(collectRunFacts(runScenario(scenario), 'test')).ssd.bytesWritten;
  }

  it('after(n=2) and multi-turn write less to the SSD than always', () => {
    const always = ssdBytesWritten('always');
    expect(always).toBeGreaterThan(0);
    const afterTwo = ssdBytesWritten('after(n=2)');
    expect(afterTwo).toBeLessThan(always);
    expect(ssdBytesWritten('after(n=3)')).toBeLessThan(afterTwo);
    expect(ssdBytesWritten('multi-turn')).toBeLessThan(always);
  });
});
