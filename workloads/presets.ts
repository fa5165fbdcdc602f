// Named synthetic workloads. Each preset is a partial configuration over the synthetic defaults.
// Its `source` names where its numbers come from and which of them are estimates.

import { SyntheticConfigError, type SyntheticWorkloadInput } from './synthetic.js';

export interface WorkloadPreset {
  name: string;
  description: string;
  /** Origin of the numbers, and which of them are estimates. */
  source: string;
  workload: SyntheticWorkloadInput;
}

// Zipf-like popularity of `count` prefix groups: group k (from 1) has weight 1 / k.
function zipfWeights(count: number): number[] {
  return Array.from({ length: count }, (_unused, index) => 1 / (index + 1));
}

export const WORKLOAD_PRESETS: readonly WorkloadPreset[] = [
  {
    name: 'chat',
    description: 'ShareGPT-like chat: about 4.8 turns per session, a few hundred tokens a turn, think times of minutes',
    source:
      'the synthetic defaults: responses and think times fitted to the 135 sessions in the first 400 rows of BurstGPT_3.csv (HPMLL/BurstGPT v2.0); ' +
      '4.8 turns and 200-token prompts are estimates (ShareChat, arXiv 2512.17843, Table 1, counts 3.51 turns per conversation in a 94,145-conversation ShareGPT set)',
    workload: {},
  },
  {
    name: 'lmsys',
    description: 'LMSYS-Chat-like: about 2 turns per session, short prompts, one short system prompt',
    source:
      'estimates of the shape LMSYS-Chat-1M (Zheng et al., ICLR 2024) describes, short and mostly single-topic conversations; not fitted to that data set',
    workload: {
      turns: { kind: 'geometric', mean: 2 },
      promptTokens: { kind: 'lognormal', median: 40, p90: 250 },
      responseTokens: { kind: 'lognormal', median: 150, p90: 500 },
      systemPromptTokens: 100,
    },
  },
  {
    name: 'agent',
    description: 'tool-using agent: many turns, think times of seconds (tool calls), long contexts that grow each turn',
    source: 'estimates, not fitted to a trace: 20 turns on average, tool results of about 1,000 tokens, 2 s median think time, a 4,000-token system prompt of tool definitions',
    workload: {
      turns: { kind: 'geometric', mean: 20 },
      promptTokens: { kind: 'lognormal', median: 600, p90: 3000 },
      responseTokens: { kind: 'lognormal', median: 120, p90: 600 },
      thinkTimeSec: { kind: 'lognormal', median: 2, p90: 15 },
      systemPromptTokens: 4000,
      maxContextTokens: 131_072,
    },
  },
  {
    name: 'api',
    description: 'API traffic: single turns behind long shared system prompts, 8 prefix groups with Zipf popularity, bursty arrivals',
    source: 'estimates, not fitted to a trace: 8 system prompts of 2,000 to 16,000 tokens with weights 1/k, gamma inter-arrivals with CV 2',
    workload: {
      sessionRatePerSec: 5,
      arrivalCv: 2,
      turns: { kind: 'constant', value: 1 },
      promptTokens: { kind: 'lognormal', median: 300, p90: 1500 },
      responseTokens: { kind: 'lognormal', median: 150, p90: 600 },
      systemPrompts: [16000, 8000, 4000, 4000, 2000, 2000, 2000, 2000].map((tokens, index) => ({ tokens, weight: zipfWeights(8)[index] })),
    },
  },
];

/** Returns the preset named `name`, or throws `SyntheticConfigError` listing the presets. */
export function getWorkloadPreset(name: string): WorkloadPreset {
  const preset = WORKLOAD_PRESETS.find((candidate) => candidate.name === name);
  if (preset === undefined) {
    throw new SyntheticConfigError(`unknown workload preset "${name}"; expected one of ${WORKLOAD_PRESETS.map((candidate) => candidate.name).join(', ')}`);
  }
  return preset;
}
