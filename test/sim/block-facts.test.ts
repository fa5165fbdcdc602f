import { describe, expect, it } from 'vitest';
import { getPolicy, listPolicies, registerPolicy } from '../../policies/registry.js';
import { buildSummary } from '../../results/summary.js';
import { toJson } from '../../results/run-folder.js';
import { DEFAULT_SCENARIO } from '../../sim/default-scenario.js';
import { collectRunFacts, runScenario } from '../../sim/run.js';
import { mergeScenario, parseScenario } from '../../sim/scenario.js';

// A policy that declares `readsBlockFacts: false` lets the KV store leave `access` describing the
// requested block while it moves another block into the policy's tier. That is only correct if the
// policy's decisions do not depend on those facts, so each such built-in policy must give the same
// run as a copy of it that receives every block's facts.
const FACTS_FREE = listPolicies().filter((definition) => definition.readsBlockFacts === false && definition.offline !== true);

for (const definition of FACTS_FREE) {
  registerPolicy({ ...definition, name: `${definition.name}-given-facts`, readsBlockFacts: true });
}

// Small tiers, so that blocks are demoted GPU to DRAM to SSD and dropped, with write-through from
// DRAM so that a block also moves down while another one is requested.
function summaryWith(policy: string, dramWriteMode: string): string {
  const scenario = parseScenario(
    mergeScenario(DEFAULT_SCENARIO, {
      tiers: {
        gpu: { capacity: '2GB', policy },
        dram: { capacity: '6GB', policy, writeMode: dramWriteMode },
        ssd: { capacity: '20GB', policy },
      },
      workload: { kind: 'synthetic', sessions: 40, sessionRatePerSec: 2 },
    }),
    'test',
  );
  return toJson(buildSummary(collectRunFacts(runScenario(scenario), 'test')));
}

describe('policies that read no block facts', () => {
  it('include the classic policies and exclude those that read facts', () => {
    expect(FACTS_FREE.map((definition) => definition.name)).toEqual(
      ['arc', 'clock', 'fifo', 'gdsf', 'lfu', 'lirs', 'lru', 's3fifo', 'sieve', 'twoq'],
    );
    for (const name of ['think-time', 'recompute-cost', 'prefix-lru']) expect(getPolicy(name).readsBlockFacts).not.toBe(false);
  });

  for (const definition of FACTS_FREE) {
    it(`${definition.name} gives the same run with and without the facts of demoted blocks`, () => {
      // LIRS's default HIR share cannot hold one block of a 2 GB tier.
      const params = definition.name === 'lirs' ? '(hir=0.1)' : '';
      for (const writeMode of ['write-back', 'write-through']) {
        const without = summaryWith(`${definition.name}${params}`, writeMode);
        const withFacts = summaryWith(`${definition.name}-given-facts${params}`, writeMode).replaceAll(`${definition.name}-given-facts`, definition.name);
        expect(withFacts).toBe(without);
        // The runs moved blocks down through every tier and out of the last one.
        const tiers = JSON.parse(without).tiers;
        expect(tiers.gpu.demotions).toBeGreaterThan(0);
        expect(tiers.dram.blocksWritten).toBeGreaterThan(0);
        expect(tiers.ssd.drops).toBeGreaterThan(0);
      }
    });
  }
});
