// The KV-aware policies in the full simulation: each online one runs on every tier, completes the
// workload, labels the summary, and gives byte-identical summaries for one seed. The offline
// optimum needs each block's next use, which a run does not know, so a run rejects it.

import { describe, expect, it } from 'vitest';
import { buildSummary } from '../../results/summary.js';
import { toJson } from '../../results/run-folder.js';
import { DEFAULT_SCENARIO } from '../../sim/default-scenario.js';
import { collectRunFacts, runScenario } from '../../sim/run.js';
import { mergeScenario, parseScenario } from '../../sim/scenario.js';

const KV_AWARE = ['prefix-lru', 'think-time', 'recompute-cost'];

function summaryOf(policy: string, seed = 1) {
  const scenario = parseScenario(
    mergeScenario(DEFAULT_SCENARIO, {
      seed,
      workload: { sessions: 40 },
      tiers: { gpu: { capacity: '2GB', policy }, dram: { capacity: '4GB', policy }, ssd: { policy } },
    }),
    'test',
  );
  return buildSummary(collectRunFacts(runScenario(scenario), 'test'));
}

describe('KV-aware policies in kvtier run', () => {
  for (const policy of KV_AWARE) {
    it(`${policy} completes every request`, () => {
      const summary = summaryOf(policy);
      expect(summary.requests.completed).toBe(summary.requests.arrived);
      expect(summary.hitRate.tokens.total).toBeGreaterThan(0);
      expect(JSON.stringify(summary)).toContain(`"policy":"${policy}`);
    });

    it(`${policy} is deterministic for one seed`, () => {
      expect(toJson(summaryOf(policy, 5))).toBe(toJson(summaryOf(policy, 5)));
    });
  }

  it('rejects the offline optimum', () => {
    expect(() => summaryOf('optimal-prefix')).toThrow(/tiers\.gpu\.policy is optimal-prefix, an offline policy/);
  });

  it('prefix-lru serves more from the GPU tier than lru', () => {
    expect(summaryOf('prefix-lru').hitRate.tokens.gpu).toBeGreaterThan(summaryOf('lru').hitRate.tokens.gpu);
  });
});
