// Benchmark of `kvtier trace stats` memory on a long generated trace. The parent generates a
// Mooncake-format trace of the `lmsys` preset (5,000,000 lines by default) into a temporary folder,
// then runs the statistics in a fresh child process, so that the child's peak resident memory
// reflects the streaming pass alone. Run with `node dist/bench/trace-stats.js [LINES]`, or through
// `npm run bench` (the case named "trace stats").

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { generateTrace } from '../workloads/generate.js';
import { getWorkloadPreset } from '../workloads/presets.js';
import { SyntheticWorkload } from '../workloads/synthetic.js';
import { computeTraceStats } from '../workloads/trace-stats.js';
import { MooncakeTraceWriter } from '../workloads/trace-writer.js';
import { openTrace } from '../workloads/traces.js';

const DEFAULT_LINES = 5_000_000;

/** Generates a trace of `lines` requests, measures `trace stats` on it, and prints a one-row table. */
export function benchTraceStats(lines = DEFAULT_LINES): void {
  const directory = mkdtempSync(join(tmpdir(), 'kvtier-bench-'));
  try {
    const path = join(directory, 'lmsys.jsonl');
    const preset = getWorkloadPreset('lmsys').workload;
    // Sessions average about 2 turns, so lines / 1.5 sessions give more than `lines` requests, and
    // the writer stops at exactly `lines`. One session per second keeps 5,000,000 lines within the
    // clock's 104 days.
    const workload = new SyntheticWorkload({ ...preset, sessions: Math.ceil(lines / 1.5), sessionRatePerSec: 1, blockTokens: 512 }, 1);
    const writer = new LimitedWriter(new MooncakeTraceWriter(path), lines);
    const generateStartedAt = process.hrtime.bigint();
    generateTrace(workload, writer);
    writer.close();
    const generateSeconds = Number(process.hrtime.bigint() - generateStartedAt) / 1e9;
    const sizeMiB = statSync(path).size / 2 ** 20;

    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', path], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`trace stats child failed: ${child.stderr}`);
    const result = JSON.parse(child.stdout) as { seconds: number; peakMiB: number; requests: number; spanDays: number; uniqueBlocks: number; sessions: number };
    console.log('\ncase | wall s | unique blocks | sessions | lines/s | peak RSS MiB of the stats process');
    console.log('---|---|---|---|---|---');
    console.log(
      `trace stats, ${result.requests.toLocaleString('en-US')} lines over ${result.spanDays.toFixed(1)} days (${sizeMiB.toFixed(0)} MiB, generated in ${generateSeconds.toFixed(1)} s) | ` +
        `${result.seconds.toFixed(2)} | ${result.uniqueBlocks.toLocaleString('en-US')} unique blocks | ${result.sessions.toLocaleString('en-US')} sessions | ` +
        `${Math.round(result.requests / result.seconds).toLocaleString('en-US')} lines/s | ${result.peakMiB.toFixed(0)}`,
    );
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** Passes the first `limit` records to `writer` and drops the rest. */
class LimitedWriter {
  private written = 0;
  constructor(
    private readonly writer: MooncakeTraceWriter,
    private readonly limit: number,
  ) {}
  write(...args: Parameters<MooncakeTraceWriter['write']>): void {
    if (this.written++ < this.limit) this.writer.write(...args);
  }
  close(): void {
    this.writer.close();
  }
  abort(): void {
    this.writer.abort();
  }
}

function runChild(path: string): void {
  const startedAt = process.hrtime.bigint();
  const stats = computeTraceStats(openTrace(path, 'mooncake'), { format: 'mooncake', recordedBlockIds: true });
  const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  const spanDays = stats.spanSec / 86_400;
  process.stdout.write(JSON.stringify({ seconds, peakMiB, requests: stats.requests, spanDays, uniqueBlocks: stats.uniqueBlocks, sessions: stats.sessions?.count ?? 0 }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--child') runChild(process.argv[3]);
  else benchTraceStats(process.argv[2] === undefined ? DEFAULT_LINES : Number(process.argv[2]));
}
