// `npm run bench`: the simulator's own speed on fixed workloads. Each case runs in this process
// after one warm-up run, and the table reports wall seconds, engine events per second, requests per
// second and the process's peak resident memory so far. Figures depend on the machine; compare
// them only across runs on one machine. bench/scale.ts runs the large synthetic cases, each in its
// own process.

import { fileURLToPath } from 'node:url';
import { benchCachesim } from './cachesim.js';
import { DEFAULT_SCENARIO } from '../sim/default-scenario.js';
import { runScenario } from '../sim/run.js';
import { mergeScenario, parseScenario, type ScenarioInput } from '../sim/scenario.js';
import { benchTraceStats } from './trace-stats.js';

interface BenchCase {
  name: string;
  scenario: unknown;
}

const tracePath = fileURLToPath(new URL('../../workloads/data/mooncake_conversation_trace.jsonl', import.meta.url));

const cases: BenchCase[] = [
  { name: 'default scenario (300 sessions)', scenario: DEFAULT_SCENARIO },
  { name: 'Mooncake conversation trace, TP8', scenario: mergeScenario(DEFAULT_SCENARIO, { gpu: { tensorParallel: 8 }, workload: { kind: 'mooncake', path: tracePath } }) },
];

function measure(scenarioInput: unknown) {
  const scenario = parseScenario(scenarioInput as ScenarioInput, 'bench');
  const startedAt = process.hrtime.bigint();
  const result = runScenario(scenario);
  const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  return { seconds, events: result.recorder.events, requests: result.recorder.requestsCompleted };
}

const filter = process.argv[2];
console.log(`kvtier bench on Node ${process.version}, ${process.platform}/${process.arch}`);
console.log('case | wall s | events | M events/s | requests/s | peak RSS MiB');
console.log('---|---|---|---|---|---');
for (const benchCase of cases) {
  if (filter !== undefined && !benchCase.name.includes(filter)) continue;
  measure(mergeScenario(benchCase.scenario, { workload: benchCase.name.startsWith('Mooncake') ? {} : { sessions: 200 } }));
  const { seconds, events, requests } = measure(benchCase.scenario);
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  console.log(
    `${benchCase.name} | ${seconds.toFixed(2)} | ${events.toLocaleString('en-US')} | ${(events / seconds / 1e6).toFixed(2)} | ` +
      `${Math.round(requests / seconds).toLocaleString('en-US')} | ${peakMiB.toFixed(0)}`,
  );
}

if (filter === undefined || 'cachesim'.includes(filter)) benchCachesim();

// Peak memory of `trace stats` on a generated 5,000,000-line trace, in a child process.
if (filter === undefined || 'trace stats'.includes(filter)) benchTraceStats();
