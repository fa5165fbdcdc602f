// The embedded default scenario, which `kvtier run` uses when no scenario file is given. It puts a
// 70B-class model with FP8 weights on one H200 with DDR5 host memory and one Memblaze PBlaze7 7A40,
// serving a few hundred multi-turn chat sessions whose users pause between turns.

import type { ScenarioInput } from './scenario.js';

export const DEFAULT_SCENARIO: ScenarioInput = {
  name: 'default',
  seed: 1,
  model: { preset: 'llama3.1-70b-fp8' },
  gpu: { preset: 'h200', tensorParallel: 1 },
  link: { preset: 'pcie5-x16' },
  tiers: {
    gpu: { capacity: 'auto', policy: 'lru' },
    dram: { capacity: '128GB', policy: 'lru', device: 'ddr5-host' },
    ssd: { capacity: 'auto', policy: 'lru', device: 'pblaze7-7a40' },
  },
  loadRule: 'cheaper',
  workload: { kind: 'synthetic', sessions: 300 },
};
