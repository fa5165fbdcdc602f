import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareObservations, DEFAULT_THRESHOLDS, type Observation } from '../../results/compare.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/cli/main.js');

function kvtier(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8' });
}

function run(out: string, ...args: string[]): void {
  const sessions = args.includes('--sessions') ? [] : ['--sessions', '30'];
  const result = kvtier('run', ...sessions, '--gpu-cache', '2GB', '--dram', '4GB', '--ssd-capacity', '12GB', '--out', out, '--quiet', ...args);
  expect(result.status, result.stderr).toBe(0);
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'kvtier-compare-'));
  run(join(work, 'lru'));
  run(join(work, 'fifo'), '--policy', 'fifo');
  run(join(work, 'other-scenario'), '--sessions', '31');
});

describe('kvtier compare', () => {
  it('exits 0 for a candidate identical to the baseline', () => {
    const copy = join(work, 'lru-copy');
    cpSync(join(work, 'lru'), copy, { recursive: true });
    const result = kvtier('compare', join(work, 'lru'), copy);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('No regression.');
    expect(result.stdout).toContain('| `ttftMs.p50` | 1 |');
  });

  it('exits 1 and names the metrics a worse policy regressed', () => {
    const junit = join(work, 'junit.xml');
    const result = kvtier('compare', join(work, 'lru'), join(work, 'fifo'), '--junit', junit);
    expect(result.status, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/regressions?: .*`hitRate\.tokens\.total`/);
    expect(result.stdout).toMatch(/\| `hitRate\.tokens\.total` \| 1 \| [^|]+ \| [^|]+ \| -[^|]+ \| n\/a \| regressed \|/);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('<failure message="hitRate.tokens.total regressed">');
  });

  it('exits 2 naming a truncated baseline', () => {
    const truncated = join(work, 'truncated');
    cpSync(join(work, 'lru'), truncated, { recursive: true });
    const summaryPath = join(truncated, 'summary.json');
    const text = readFileSync(summaryPath, 'utf8');
    writeFileSync(summaryPath, text.slice(0, text.length / 2));
    const result = kvtier('compare', truncated, join(work, 'fifo'));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${summaryPath} is not valid JSON`);
  });

  it('exits 2 for runs of different scenarios', () => {
    const result = kvtier('compare', join(work, 'lru'), join(work, 'other-scenario'));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('different scenarios');
  });

  it('exits 2 for a missing folder', () => {
    const result = kvtier('compare', join(work, 'nope'), join(work, 'lru'));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${join(work, 'nope')} is not a folder of kvtier results`);
  });

  it('compares folders of runs over seeds', () => {
    const base = join(work, 'seeds-lru');
    const candidate = join(work, 'seeds-fifo');
    for (const seed of [1, 2, 3]) {
      run(join(base, `seed${seed}`), '--seed', String(seed));
      run(join(candidate, `seed${seed}`), '--seed', String(seed), '--policy', 'fifo');
    }
    const result = kvtier('compare', base, candidate, '--format', 'json');
    expect(result.status, result.stderr).toBe(1);
    const comparisons = JSON.parse(result.stdout) as { metric: string; seeds: number; ciLow: number; verdict: string }[];
    const hitRate = comparisons.find((comparison) => comparison.metric === 'hitRate.tokens.total')!;
    expect(hitRate.seeds).toBe(3);
    expect(hitRate.verdict).toBe('regressed');
  });
});

describe('kvtier compare on sweeps', () => {
  it('compares cell by cell over the seeds', () => {
    const folders: string[] = [];
    for (const policy of ['lru', 'fifo']) {
      const file = join(work, `sweep-${policy}.json`);
      const tiers = { gpu: { capacity: '2GB', policy }, dram: { capacity: '4GB', policy }, ssd: { capacity: '12GB', policy } };
      writeFileSync(file, JSON.stringify({ name: 'compare', base: { tiers, workload: { kind: 'synthetic', sessions: 30 } }, axes: { 'tiers.dram.capacity': ['4GB', '8GB'], seed: [1, 2, 3] } }));
      const out = join(work, `sweep-out-${policy}`);
      const sweep = kvtier('sweep', '--config', file, '--out', out, '--workers', '1');
      expect(sweep.status, sweep.stderr).toBe(0);
      folders.push(out);
    }
    const result = kvtier('compare', folders[0], folders[1], '--format', 'json');
    expect(result.status, result.stderr).toBe(1);
    const comparisons = JSON.parse(result.stdout) as { cell: string; metric: string; seeds: number; verdict: string }[];
    expect(new Set(comparisons.map((comparison) => comparison.cell))).toEqual(new Set(['tiers.dram.capacity=4GB', 'tiers.dram.capacity=8GB']));
    const hitRate = comparisons.filter((comparison) => comparison.metric === 'hitRate.tokens.total');
    expect(hitRate.map((comparison) => comparison.seeds)).toEqual([3, 3]);
    expect(hitRate.every((comparison) => comparison.verdict === 'regressed')).toBe(true);
    expect(kvtier('compare', folders[0], folders[0]).status).toBe(0);
  });
});

function observation(seed: number, hitRate: number): Observation {
  return { cell: '', seed, scenarioKey: '{}', metrics: new Map([['hitRate.tokens.total', hitRate]]), nullMetrics: new Set(), source: `seed ${seed}` };
}

describe('compareObservations', () => {
  it('calls a change within the seed spread not significant', () => {
    // Per-seed changes +0.01, -0.02, +0.03: mean +0.0067, sd 0.025, 95% CI about [-0.056, +0.069].
    const base = [observation(1, 0.6), observation(2, 0.7), observation(3, 0.5)];
    const candidate = [observation(1, 0.61), observation(2, 0.68), observation(3, 0.53)];
    const [comparison] = compareObservations(base, candidate, { 'hitRate.tokens.total': DEFAULT_THRESHOLDS['hitRate.tokens.total'] });
    expect(comparison.change).toBeCloseTo(0.02 / 3, 12);
    expect(comparison.ciLow!).toBeLessThan(0);
    expect(comparison.ciHigh!).toBeGreaterThan(0);
    expect(comparison.verdict).toBe('not significant');
  });

  it('flags a consistent drop beyond the threshold', () => {
    const base = [observation(1, 0.6), observation(2, 0.7), observation(3, 0.5)];
    const candidate = [observation(1, 0.58), observation(2, 0.679), observation(3, 0.481)];
    const [comparison] = compareObservations(base, candidate, { 'hitRate.tokens.total': DEFAULT_THRESHOLDS['hitRate.tokens.total'] });
    expect(comparison.ciHigh!).toBeLessThan(0);
    expect(comparison.verdict).toBe('regressed');
  });

  it('ignores a change below the threshold', () => {
    const [comparison] = compareObservations([observation(1, 0.6)], [observation(1, 0.598)], { 'hitRate.tokens.total': DEFAULT_THRESHOLDS['hitRate.tokens.total'] });
    expect(comparison.verdict).toBe('unchanged');
  });
});

describe('kvtier check', () => {
  function suite(): string {
    const dir = mkdtempSync(join(tmpdir(), 'kvtier-suite-'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'small.json'), JSON.stringify({ name: 'small', workload: { kind: 'synthetic', sessions: 10 } }));
    return dir;
  }

  it('passes after writing baselines and fails on a changed result', () => {
    const dir = suite();
    expect(kvtier('check', dir).status).toBe(2);
    expect(kvtier('check', dir, '--update-baseline').status).toBe(0);
    expect(kvtier('check', dir).status).toBe(0);
    // A change in the scenario changes its results, which must fail until the baseline is updated.
    writeFileSync(join(dir, 'small.json'), JSON.stringify({ name: 'small', tiers: { gpu: { policy: 'fifo', capacity: '1GB' } }, workload: { kind: 'synthetic', sessions: 10 } }));
    const changed = kvtier('check', dir);
    expect(changed.status).toBe(1);
    expect(changed.stdout).toContain('--update-baseline');
  });

  it('exits 2 naming a corrupt baseline', () => {
    const dir = suite();
    expect(kvtier('check', dir, '--update-baseline').status).toBe(0);
    const baseline = join(dir, 'baselines', 'small.summary.json');
    writeFileSync(baseline, '{"requests": ');
    const result = kvtier('check', dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(baseline);
  });
});
