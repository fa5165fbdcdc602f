import { describe, expect, it } from 'vitest';
import { buildSummary } from '../../results/summary.js';
import { toJson } from '../../results/run-folder.js';
import { DEFAULT_SCENARIO } from '../../sim/default-scenario.js';
import { collectRunFacts, runScenario } from '../../sim/run.js';
import { mergeScenario, parseScenario } from '../../sim/scenario.js';

// A smaller cut of the default scenario, so each run takes well under a second.
function scenario(overrides: object = {}) {
  return parseScenario(mergeScenario(mergeScenario(DEFAULT_SCENARIO, { workload: { sessions: 40 } }), overrides), 'test');
}

function summaryJson(overrides: object = {}): string {
  const result = runScenario(scenario(overrides));
  return toJson(buildSummary(collectRunFacts(result, 'test')));
}

describe('runScenario', () => {
  it('gives byte-identical summaries for one seed', () => {
    expect(summaryJson({ seed: 7 })).toBe(summaryJson({ seed: 7 }));
  });

  it('gives another summary for another seed', () => {
    expect(summaryJson({ seed: 7 })).not.toBe(summaryJson({ seed: 8 }));
  });

  it('completes every request that arrives', () => {
    const result = runScenario(scenario());
    const summary = buildSummary(collectRunFacts(result, 'test'));
    expect(summary.requests.arrived).toBeGreaterThan(40);
    expect(summary.requests.completed).toBe(summary.requests.arrived);
    expect(summary.hitRate.tokens.total).toBeGreaterThan(0);
    expect(summary.hitRate.tokens.total).toBeLessThanOrEqual(1);
    const tierSum = summary.hitRate.tokens.gpu + summary.hitRate.tokens.dram + summary.hitRate.tokens.ssd;
    expect(summary.hitRate.tokens.total).toBeCloseTo(tierSum, 12);
  });

  it('keeps every tier within its capacity', () => {
    const result = runScenario(scenario({ tiers: { gpu: { capacity: '2GB' }, dram: { capacity: '8GB' }, ssd: { capacity: '20GB' } } }));
    for (const [index, tier] of result.resolved.tiers.entries()) {
      expect(result.store.tiers[index].used).toBeLessThanOrEqual(tier.capacity);
    }
    expect(result.store.writtenBytes[2]).toBeGreaterThan(0);
  });

  it('serves nothing from lower tiers when loads are never used', () => {
    const result = runScenario(scenario({ loadRule: 'never' }));
    const summary = buildSummary(collectRunFacts(result, 'test'));
    expect(summary.hitRate.tokens.dram).toBe(0);
    expect(summary.hitRate.tokens.ssd).toBe(0);
    expect(summary.ssd.bytesRead).toBe(0);
  });

  it('rejects weights that do not fit', () => {
    expect(() => runScenario(scenario({ model: { weightBytesPerParameter: 2 }, gpu: { preset: 'h100' } }))).toThrow(/weights/);
  });
});
