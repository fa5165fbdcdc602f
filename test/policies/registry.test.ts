// The policy registry and specification parser: defaults, labels and the errors shown to users.

import { describe, expect, it } from 'vitest';
import { getPolicy, listPolicies, parsePolicySpec, registerPolicy } from '../../policies/registry.js';
import { lru } from '../../policies/lru.js';

const CLASSIC = ['arc', 'belady', 'clock', 'fifo', 'gdsf', 'lfu', 'lirs', 'lru', 's3fifo', 'sieve', 'twoq'];

describe('registry', () => {
  it('lists every classic policy', () => {
    const names = listPolicies().map((definition) => definition.name);
    for (const name of CLASSIC) expect(names).toContain(name);
  });

  it('throws on a duplicate name', () => {
    expect(() => registerPolicy({ ...lru })).toThrow('policy "lru" is already registered');
  });

  it('rejects an invalid name', () => {
    expect(() => registerPolicy({ ...lru, name: 'Bad Name' })).toThrow('invalid policy name "Bad Name"');
  });

  it('names known policies for an unknown one', () => {
    expect(() => getPolicy('lruu')).toThrow(/unknown policy "lruu": expected one of .*belady \(replays only\), .*lru/);
  });
});

describe('parsePolicySpec', () => {
  it('applies libCacheSim defaults', () => {
    expect(parsePolicySpec('s3fifo').params).toEqual({ small: 0.1, ghost: 0.9, threshold: 2 });
    expect(parsePolicySpec('twoq').params).toEqual({ in: 0.25, out: 0.5 });
    expect(parsePolicySpec('clock').params).toEqual({ bits: 1 });
    expect(parsePolicySpec('lirs').params).toEqual({ hir: 0.01 });
  });

  it('labels with every parameter', () => {
    expect(parsePolicySpec('s3fifo(small=0.2)').label).toBe('s3fifo(small=0.2,ghost=0.9,threshold=2)');
    expect(parsePolicySpec('twoq').label).toBe('twoq(in=0.25,out=0.5)');
    expect(parsePolicySpec('arc').label).toBe('arc');
  });

  it('error names the policy and the unknown key', () => {
    expect(() => parsePolicySpec('s3fifo(smal=0.2)')).toThrow('policy "s3fifo": unknown parameter "smal": expected one of small, ghost, threshold');
  });

  it('rejects a parameter of a policy without parameters', () => {
    expect(() => parsePolicySpec('arc(p=1)')).toThrow('policy "arc" takes no parameters, got "p"');
  });

  it('rejects an out-of-range value', () => {
    expect(() => parsePolicySpec('s3fifo(small=1.5)')).toThrow('policy "s3fifo": parameter "small" is 1.5: expected a number in [0, 1]');
  });

  it('rejects a value that is not a number', () => {
    expect(() => parsePolicySpec('clock(bits=two)')).toThrow('policy "clock": parameter "bits" is "two": expected a number');
  });

  it('marks errors as user input', () => {
    try {
      parsePolicySpec('nope');
      expect.unreachable();
    } catch (error) {
      expect((error as { code?: string }).code).toBe('ERR_KVTIER_INPUT');
    }
  });
});
