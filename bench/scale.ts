// Scale benchmark: full simulations of 10,000, 100,000 and 1,000,000 synthetic sessions with three
// tiers, and the Mooncake conversation trace, each in its own process so that its peak resident
// memory is its own. Prints wall seconds, engine events per second, requests per second and peak
// memory. `node dist/bench/scale.js --max-sessions 100000` skips the largest case.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SCENARIO } from '../sim/default-scenario.js';
import { runScenario } from '../sim/run.js';
import { mergeScenario, parseScenario } from '../sim/scenario.js';

const tracePath = fileURLToPath(new URL('../../workloads/data/mooncake_conversation_trace.jsonl', import.meta.url));

// Eight H200s serve two new sessions per second with no queue (TTFT p50 of about 20 ms), so memory
// follows the cache and the sessions in flight, not the number of sessions. From about five new
// sessions per second the waiting queue grows without bound, and memory with it.
function syntheticScenario(sessions: number): unknown {
  return mergeScenario(DEFAULT_SCENARIO, {
    name: `scale-${sessions}`,
    gpu: { tensorParallel: 8 },
    record: { timeSeries: true },
    workload: { kind: 'synthetic', sessions, sessionRatePerSec: 2 },
  });
}

const CASES: Record<string, () => unknown> = {
  'synthetic-10000': () => syntheticScenario(10_000),
  'synthetic-100000': () => syntheticScenario(100_000),
  'synthetic-1000000': () => syntheticScenario(1_000_000),
  'mooncake-tp8': () => mergeScenario(DEFAULT_SCENARIO, { name: 'mooncake', gpu: { tensorParallel: 8 }, workload: { kind: 'mooncake', path: tracePath } }),
};

interface CaseResult {
  name: string;
  wallSeconds: number;
  events: number;
  requests: number;
  simulatedSeconds: number;
  peakRssMiB: number;
}

function runCase(name: string): CaseResult {
  const scenario = parseScenario(CASES[name](), 'bench');
  const startedAt = process.hrtime.bigint();
  const result = runScenario(scenario);
  const wallSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  return {
    name,
    wallSeconds,
    events: result.recorder.events,
    requests: result.recorder.requestsCompleted,
    simulatedSeconds: result.recorder.endAt / 1e9,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

// Reads `--case NAME`, which runs one case in this process and prints its figures as JSON, and
// `--max-sessions N`, which skips the synthetic cases above N sessions. Exits 2 on anything else.
function parseArguments(argv: string[]): { caseName?: string; maxSessions: number } {
  const usage = 'usage: node dist/bench/scale.js [--max-sessions N]';
  let caseName: string | undefined;
  let maxSessions = Infinity;
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i];
    const [flag, inline] = argument.split('=', 2);
    const value = flag === '--case' || flag === '--max-sessions' ? (inline ?? argv[++i]) : inline;
    if (flag === '--help') {
      console.log(`${usage}\nRuns the scale cases (${Object.keys(CASES).join(', ')}), each in its own process.`);
      process.exit(0);
    } else if (flag === '--case' && value !== undefined && value in CASES) {
      caseName = value;
    } else if (flag === '--max-sessions' && value !== undefined && Number.isFinite(Number(value)) && Number(value) > 0) {
      maxSessions = Number(value);
    } else {
      const rejected = inline === undefined && value !== undefined ? `${argument} ${value}` : argument;
      console.error(`kvtier scale bench: invalid argument "${rejected}"; ${usage}`);
      process.exit(2);
    }
  }
  return { caseName, maxSessions };
}

const { caseName, maxSessions } = parseArguments(process.argv.slice(2));
if (caseName !== undefined) {
  process.stdout.write(`${JSON.stringify(runCase(caseName))}\n`);
} else {
  const self = fileURLToPath(import.meta.url);
  console.log(`kvtier scale bench on Node ${process.version}, ${process.platform}/${process.arch}, one process per case`);
  console.log('case | wall s | events | M events/s | requests | requests/s | simulated s | peak RSS MiB');
  console.log('---|---|---|---|---|---|---|---');
  for (const name of Object.keys(CASES)) {
    const sessions = Number(/synthetic-(\d+)/.exec(name)?.[1] ?? 0);
    if (sessions > maxSessions) continue;
    const child = spawnSync(process.execPath, ['--max-old-space-size=4096', self, '--case', name], { encoding: 'utf8' });
    if (child.status !== 0) {
      console.log(`${name} | failed: ${child.stderr.trim().split('\n').pop()}`);
      continue;
    }
    const result = JSON.parse(child.stdout) as CaseResult;
    console.log(
      `${name} | ${result.wallSeconds.toFixed(2)} | ${result.events.toLocaleString('en-US')} | ${(result.events / result.wallSeconds / 1e6).toFixed(2)} | ` +
        `${result.requests.toLocaleString('en-US')} | ${Math.round(result.requests / result.wallSeconds).toLocaleString('en-US')} | ` +
        `${Math.round(result.simulatedSeconds).toLocaleString('en-US')} | ${result.peakRssMiB.toFixed(0)}`,
    );
  }
}
