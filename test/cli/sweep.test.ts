import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveShard } from '../../cli/sweep.js';
import { planSweep, selectShard } from '../../sim/sweep.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/cli/main.js');

function kvtier(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });
}

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

const SMALL_SWEEP = {
  name: 'cli-small',
  base: { workload: { kind: 'synthetic', sessions: 15 }, tiers: { gpu: { capacity: '1GB' }, dram: { capacity: '1GB' } } },
  axes: {
    'tiers.gpu.policy+tiers.dram.policy+tiers.ssd.policy': ['lru', 's3fifo'],
    'tiers.ssd.capacity': ['5GB', '20GB'],
    seed: [1, 2],
  },
};

function plan(sweep: unknown) {
  return planSweep(sweep, { source: 'sweep.json', folder: root, kvtierVersion: 'test' });
}

/** Reads every file under `dir` into an object keyed by path relative to `dir`. */
function readTree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else files[relative(dir, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(dir);
  return files;
}

describe('planSweep', () => {
  it('expands axes with the last varying fastest', () => {
    const { runs, cellCount } = plan(SMALL_SWEEP);
    expect(runs).toHaveLength(8);
    expect(cellCount).toBe(4);
    expect(runs.map((run) => run.cell)).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    expect(runs[3].values).toEqual({ 'tiers.gpu.policy+tiers.dram.policy+tiers.ssd.policy': 'lru', 'tiers.ssd.capacity': '20GB', seed: 2 });
    expect(runs[3].config.seed).toBe(2);
    expect(runs[3].config.tiers.ssd.capacity).toBe(20e9);
    expect(runs[5].config.tiers.gpu.policy).toBe('s3fifo');
    expect(runs[5].config.tiers.dram.policy).toBe('s3fifo');
    expect(runs[5].config.tiers.ssd.policy).toBe('s3fifo');
    expect(runs[0].config.kvtierVersion).toBe('test');
    expect(runs[0].config.name).toBe('cli-small');
  });

  it('chooses plot axes by their keys', () => {
    const { definition } = plan(SMALL_SWEEP);
    expect(definition.plots).toEqual({ x: 'tiers.ssd.capacity', series: 'tiers.gpu.policy+tiers.dram.policy+tiers.ssd.policy' });
  });

  it('rejects an unknown top-level key', () => {
    expect(() => plan({ ...SMALL_SWEEP, seeds: [1, 2] })).toThrow(/invalid sweep in sweep\.json:\n {2}\(top level\): Unrecognized key: "seeds"/);
  });

  it('rejects an empty axis', () => {
    expect(() => plan({ ...SMALL_SWEEP, axes: { ...SMALL_SWEEP.axes, seed: [] } })).toThrow(/axes\.seed: the axis has no values/);
  });

  it('rejects a sweep without axes', () => {
    expect(() => plan({ ...SMALL_SWEEP, axes: {} })).toThrow(/axes: expected at least one axis/);
  });

  it('rejects an unknown scenario key in an axis', () => {
    const sweep = { ...SMALL_SWEEP, axes: { 'tiers.dram.polcy': ['lru'] } };
    expect(() => plan(sweep)).toThrow(/run 0 \(tiers\.dram\.polcy = lru\):\n {2}tiers\.dram: Unrecognized key: "polcy"/);
  });

  it('rejects an invalid axis value', () => {
    const sweep = { ...SMALL_SWEEP, axes: { 'tiers.dram.policy': ['lru', 'lru(x=1)'] } };
    expect(() => plan(sweep)).toThrow(/run 1 \(tiers\.dram\.policy = lru\(x=1\)\):\n {2}tiers\.dram\.policy: policy "lru" takes no parameters, got "x"/);
  });

  it('accepts values valid only together', () => {
    // deepseek-v3's weights do not fit on the base scenario's single GPU, but do on eight.
    const sweep = { ...SMALL_SWEEP, axes: { 'model.preset': ['deepseek-v3'], 'gpu.tensorParallel': [8] } };
    expect(() => plan({ ...sweep, axes: { 'model.preset': ['deepseek-v3'] } })).toThrow(/deepseek-v3 needs/);
    expect(plan(sweep).runs).toHaveLength(1);
  });

  it('rejects a repeated axis value', () => {
    expect(() => plan({ ...SMALL_SWEEP, axes: { seed: [1, 1] } })).toThrow(/axes\.seed: the value 1 is listed twice/);
  });

  it('rejects a malformed axis key', () => {
    expect(() => plan({ ...SMALL_SWEEP, axes: { 'tiers..policy': ['lru'] } })).toThrow(/axes\.tiers\.\.policy: expected a scenario key as a dotted path/);
  });

  it('rejects a plot axis that is not an axis', () => {
    expect(() => plan({ ...SMALL_SWEEP, plots: { x: 'tiers.dram.capacity' } })).toThrow(/plots\.x: "tiers\.dram\.capacity" is not an axis/);
    expect(() => plan({ ...SMALL_SWEEP, plots: { series: 'seed' } })).toThrow(/plots\.series: the seed axis is aggregated over/);
  });

  it('rejects a run whose capacities do not fit', () => {
    const sweep = { ...SMALL_SWEEP, axes: { 'tiers.gpu.capacity': ['1GB', '500GB'] } };
    expect(() => plan(sweep)).toThrow(/tiers\.gpu\.capacity/);
  });

  it('resolves trace paths against the sweep folder', () => {
    const trace = { kind: 'mooncake', path: 'workloads/data/mooncake_conversation_trace.jsonl' };
    const { runs } = plan({ ...SMALL_SWEEP, axes: { workload: [trace] } });
    expect(runs[0].config.workload).toMatchObject({ kind: 'mooncake', path: join(root, trace.path) });
  });

  it('selects every N-th run for a shard', () => {
    const { runs } = plan(SMALL_SWEEP);
    expect(selectShard(runs, 1, 3).map((run) => run.index)).toEqual([1, 4, 7]);
  });
});

describe('resolveShard', () => {
  it('reads --shard I/N', () => {
    expect(resolveShard('2/4', undefined, {})).toMatchObject({ index: 2, count: 4 });
  });

  it('defaults to one shard', () => {
    expect(resolveShard(undefined, undefined, {})).toMatchObject({ index: 0, count: 1 });
  });

  it('reads a Slurm job array', () => {
    const env = { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '4' };
    expect(resolveShard(undefined, undefined, env)).toMatchObject({ index: 2, count: 4 });
  });

  it('reads a Slurm job array with a step', () => {
    const env = { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_STEP: '2', SLURM_ARRAY_TASK_COUNT: '3' };
    expect(resolveShard(undefined, undefined, env)).toMatchObject({ index: 2, count: 3 });
  });

  it('reads a Kubernetes indexed Job', () => {
    expect(resolveShard(undefined, 5, { JOB_COMPLETION_INDEX: '4' })).toMatchObject({ index: 4, count: 5 });
  });

  it('prefers the flag to the environment', () => {
    expect(resolveShard('0/2', undefined, { JOB_COMPLETION_INDEX: '4' })).toMatchObject({ index: 0, count: 2 });
  });

  it('rejects an index past the count', () => {
    expect(() => resolveShard('4/4', undefined, {})).toThrow(/shard 4\/4 from --shard is invalid/);
  });

  it('rejects a malformed flag', () => {
    expect(() => resolveShard('1-4', undefined, {})).toThrow(/--shard is "1-4": expected I\/N/);
  });

  it('needs the count for JOB_COMPLETION_INDEX', () => {
    expect(() => resolveShard(undefined, undefined, { JOB_COMPLETION_INDEX: '0' })).toThrow(/pass --shard-count N/);
  });
});

describe('kvtier sweep', () => {
  let sweepFile: string;
  let serial: string;

  beforeAll(() => {
    // The spawned tests run the compiled CLI; `npm test` builds it first.
    expect(existsSync(cli), `${cli} is missing: run npm run build`).toBe(true);
    sweepFile = join(tempDir('kvtier-sweep-file-'), 'sweep.json');
    writeFileSync(sweepFile, JSON.stringify(SMALL_SWEEP));
    serial = tempDir('kvtier-sweep-serial-');
    const result = kvtier(['sweep', '--config', sweepFile, '--out', serial, '--workers', '1']);
    expect(result.status, result.stderr).toBe(0);
  });

  it('writes runs and reports', () => {
    const files = Object.keys(readTree(serial)).sort();
    expect(files).toEqual([
      'plots/hit-rate.svg',
      'plots/ssd-endurance.svg',
      'plots/ssd-written.svg',
      'plots/tier-shares.svg',
      'plots/ttft-cdf.svg',
      'report.html',
      'report.md',
      'results.csv',
      'results.json',
      'runs/0000.json',
      'runs/0001.json',
      'runs/0002.json',
      'runs/0003.json',
      'runs/0004.json',
      'runs/0005.json',
      'runs/0006.json',
      'runs/0007.json',
      'sweep.json',
    ]);
  });

  it('gives the same bytes on worker threads', () => {
    const threaded = tempDir('kvtier-sweep-threads-');
    const result = kvtier(['sweep', '--config', sweepFile, '--out', threaded, '--workers', '3']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/8 to run on 3 workers/);
    // stderr is a pipe here, not a terminal, so no progress bar is drawn.
    expect(result.stderr).toBe('');
    expect(readTree(threaded)).toEqual(readTree(serial));
  });

  it('gives the same bytes as merged shards', () => {
    const shards = [0, 1, 2].map((index) => {
      const dir = tempDir(`kvtier-sweep-shard-${index}-`);
      const env = index === 2 ? { JOB_COMPLETION_INDEX: '2' } : { SLURM_ARRAY_TASK_ID: String(index + 1), SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '3' };
      const args = ['sweep', '--config', sweepFile, '--out', dir, '--workers', '2', ...(index === 2 ? ['--shard-count', '3'] : [])];
      const result = kvtier(args, env);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`shard ${index}/3`));
      return dir;
    });
    expect(existsSync(join(shards[0], 'report.md'))).toBe(false);
    const merged = tempDir('kvtier-sweep-merged-');
    const result = kvtier(['merge', ...shards, '--out', merged]);
    expect(result.status, result.stderr).toBe(0);
    expect(readTree(merged)).toEqual(readTree(serial));
  });

  it('fails to merge with a shard missing', () => {
    const dir = tempDir('kvtier-sweep-lone-shard-');
    const shard = kvtier(['sweep', '--config', sweepFile, '--out', dir, '--shard', '0/2']);
    expect(shard.status, shard.stderr).toBe(0);
    const result = kvtier(['merge', dir, '--out', tempDir('kvtier-sweep-merge-fail-')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/contain 4 of 8 runs; missing runs 1, 3, 5, 7/);
  });

  it('fails to merge a shard twice', () => {
    const dir = tempDir('kvtier-sweep-dup-shard-');
    const shard = kvtier(['sweep', '--config', sweepFile, '--out', dir, '--shard', '1/2']);
    expect(shard.status, shard.stderr).toBe(0);
    const result = kvtier(['merge', dir, dir, '--out', tempDir('kvtier-sweep-merge-dup-')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/run 1 is in both/);
  });

  it('resumes without recomputing written runs', () => {
    const dir = tempDir('kvtier-sweep-resume-');
    const first = kvtier(['sweep', '--config', sweepFile, '--out', dir, '--workers', '2']);
    expect(first.status, first.stderr).toBe(0);
    // An interrupted sweep: two runs and every report missing, a temporary file left over.
    rmSync(join(dir, 'runs/0002.json'));
    rmSync(join(dir, 'runs/0006.json'));
    for (const name of ['results.csv', 'results.json', 'report.md', 'report.html']) rmSync(join(dir, name));
    writeFileSync(join(dir, 'runs/0006.json.12345.tmp'), '{"index": 6');
    const keptFiles = ['0000', '0001', '0003', '0004', '0005', '0007'].map((name) => join(dir, `runs/${name}.json`));
    const modifiedAt = keptFiles.map((path) => statSync(path).mtimeMs);

    const result = kvtier(['sweep', '--config', sweepFile, '--out', dir, '--workers', '2']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/6 already written in .*, 2 to run/);
    expect(keptFiles.map((path) => statSync(path).mtimeMs)).toEqual(modifiedAt);
    expect(readTree(dir)).toEqual(readTree(serial));
  });

  it('fails before any run on an unknown key', () => {
    const file = join(tempDir('kvtier-sweep-bad-'), 'sweep.json');
    writeFileSync(file, JSON.stringify({ ...SMALL_SWEEP, axes: { ...SMALL_SWEEP.axes, 'tiers.ssd.capasity': ['1GB'] } }));
    const out = join(tempDir('kvtier-sweep-bad-out-'), 'out');
    const result = kvtier(['sweep', '--config', file, '--out', out]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/tiers\.ssd\.capasity = 1GB.*\n {2}tiers\.ssd: Unrecognized key: "capasity"/);
    expect(existsSync(out)).toBe(false);
  });

  it('fails before any run on an empty axis', () => {
    const file = join(tempDir('kvtier-sweep-empty-'), 'sweep.json');
    writeFileSync(file, JSON.stringify({ ...SMALL_SWEEP, axes: { ...SMALL_SWEEP.axes, 'tiers.ssd.capacity': [] } }));
    const out = join(tempDir('kvtier-sweep-empty-out-'), 'out');
    const result = kvtier(['sweep', '--config', file, '--out', out]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/axes\.tiers\.ssd\.capacity: the axis has no values/);
    expect(existsSync(out)).toBe(false);
  });

  it('stores configs that kvtier run reproduces', () => {
    const record = JSON.parse(readFileSync(join(serial, 'runs/0005.json'), 'utf8'));
    const dir = tempDir('kvtier-sweep-rerun-');
    writeFileSync(join(dir, 'config.json'), JSON.stringify(record.config));
    const result = kvtier(['run', '--config', join(dir, 'config.json'), '--out', dir, '--quiet']);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'))).toEqual(record.summary);
  });
});
