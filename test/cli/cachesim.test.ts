// `kvtier cachesim` and `kvtier policies`: option parsing and rendering in-process, plus one spawn
// of the built CLI for the CSV output and the exit status on a malformed trace.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import yargs from 'yargs';
import {
  CACHESIM_CSV_COLUMNS,
  cachesimCommand,
  renderCachesimResults,
  resolveCachesimArgs,
  runCachesim,
  splitTopLevel,
  type CachesimArgs,
} from '../../cli/cachesim.js';
import { renderPolicyList } from '../../cli/policies.js';
import { listPolicies } from '../../policies/registry.js';
import { readObjectTrace } from '../../sim/cachesim.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const referenceTrace = `${root}test/fixtures/libcachesim/zipf_a1.0_200k_seed42.csv`;

function args(overrides: Partial<CachesimArgs> = {}): CachesimArgs {
  return { trace: referenceTrace, policies: 'lru', sizes: '1%', ignoreSize: false, format: 'table', traceFormat: 'csv', out: 'cachesim-mrc', ...overrides };
}

/** Parses `argv` with the command's own option table and returns the arguments its handler would get. */
async function parseArgv(argv: string[]): Promise<CachesimArgs> {
  let parsed: CachesimArgs | undefined;
  await yargs(argv)
    .command({ ...cachesimCommand, handler: (received) => void (parsed = received) })
    .strict()
    .fail((message) => {
      throw new Error(message);
    })
    .parseAsync();
  return parsed!;
}

describe('cachesim options', () => {
  it('applies defaults', async () => {
    const parsed = await parseArgv(['cachesim', '--trace', 'a.csv']);
    expect(parsed).toMatchObject({ trace: 'a.csv', policies: 'lru', sizes: '1%,5%,20%', ignoreSize: false, format: 'table', traceFormat: 'csv' });
  });

  it('reads every option', async () => {
    const parsed = await parseArgv([
      'cachesim', '--trace', 'a.jsonl', '--policies', 's3fifo(small=0.2,ghost=0.9),lru', '--sizes', '1000',
      '--ignore-size', '--format', 'csv', '--trace-format', 'mooncake',
    ]);
    expect(parsed).toMatchObject({ policies: 's3fifo(small=0.2,ghost=0.9),lru', sizes: '1000', ignoreSize: true, format: 'csv', traceFormat: 'mooncake' });
  });

  it('rejects an unknown format', async () => {
    await expect(parseArgv(['cachesim', '--trace', 'a.csv', '--format', 'xml'])).rejects.toThrow(/Invalid values/);
  });

  it('requires a trace', async () => {
    await expect(parseArgv(['cachesim'])).rejects.toThrow(/trace/);
  });
});

describe('resolveCachesimArgs', () => {
  it('parses policy specifications with parameters', () => {
    const plan = resolveCachesimArgs(args({ policies: 's3fifo(small=0.2,ghost=0.9),lru', sizes: '1%, 5%' }));
    expect(plan.policies.map((policy) => policy.label)).toEqual(['s3fifo(small=0.2,ghost=0.9,threshold=2)', 'lru']);
    expect(plan.sizes).toEqual(['1%', '5%']);
  });

  it('rejects an unknown policy parameter', () => {
    expect(() => resolveCachesimArgs(args({ policies: 'arc(p=1)' }))).toThrow('policy "arc" takes no parameters, got "p"');
  });

  it('rejects an empty size', () => {
    expect(() => resolveCachesimArgs(args({ sizes: '1%,,5%' }))).toThrow('invalid --sizes "1%,,5%"');
  });

  it('rejects an unknown trace format', () => {
    expect(() => resolveCachesimArgs(args({ traceFormat: 'parquet' }))).toThrow('invalid --trace-format "parquet": expected one of csv, mooncake');
  });
});

describe('splitTopLevel', () => {
  it('keeps commas inside parentheses', () => {
    expect(splitTopLevel('s3fifo(small=0.2,ghost=0.9), lru ,arc')).toEqual(['s3fifo(small=0.2,ghost=0.9)', 'lru', 'arc']);
  });
});

describe('renderCachesimResults', () => {
  const trace = readObjectTrace(referenceTrace, { format: 'csv', ignoreSize: true });
  const results = runCachesim(resolveCachesimArgs(args({ policies: 'lru,fifo', sizes: '1%', ignoreSize: true })), trace);

  it('csv has the documented columns', () => {
    const lines = renderCachesimResults(results, 'csv').trim().split('\n');
    expect(lines[0]).toBe(CACHESIM_CSV_COLUMNS.join(','));
    // libCacheSim's counts for LRU and FIFO at 168 objects.
    expect(lines[1]).toBe('lru,168,200000,118078,0.59039,200000,118078,0.59039');
    expect(lines[2]).toBe('fifo,168,200000,127357,0.636785,200000,127357,0.636785');
  });

  it('json carries the same rows', () => {
    const rows = JSON.parse(renderCachesimResults(results, 'json')) as Record<string, unknown>[];
    expect(rows[0]).toEqual({
      policy: 'lru',
      cache_size: 168,
      requests: 200000,
      misses: 118078,
      miss_ratio: 0.59039,
      bytes_requested: 200000,
      bytes_missed: 118078,
      byte_miss_ratio: 0.59039,
    });
  });

  it('table aligns a header and one line per run', () => {
    const lines = renderCachesimResults(results, 'table').trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^lru\s+168\s+200000\s+118078\s+0\.5904\s+200000\s+118078\s+0\.5904$/);
  });
});

describe('renderPolicyList', () => {
  it('lists parameters with defaults', () => {
    const text = renderPolicyList(listPolicies(), 'table');
    expect(text).toContain('s3fifo  S3-FIFO');
    expect(text).toContain('    small=0.1 [0, 1]');
    expect(text).toContain('    in=0.25 [0, 1]');
  });

  it('json has every policy', () => {
    const rows = JSON.parse(renderPolicyList(listPolicies(), 'json')) as { name: string }[];
    expect(rows.map((row) => row.name)).toEqual(listPolicies().map((definition) => definition.name));
  });
});

describe('kvtier cachesim (built CLI)', () => {
  const mainPath = `${root}dist/cli/main.js`;
  const builtPath = `${root}dist/cli/cachesim.js`;
  const sourcePath = `${root}cli/cachesim.ts`;
  const folder = mkdtempSync(join(tmpdir(), 'kvtier-cli-cachesim-'));

  beforeAll(() => {
    // `npm test` builds first; a direct vitest run may find dist missing or older than the source.
    const stale = !existsSync(builtPath) || statSync(builtPath).mtimeMs < statSync(sourcePath).mtimeMs;
    if (stale) {
      try {
        execFileSync(`${root}node_modules/.bin/tsc`, ['-p', `${root}tsconfig.json`], { stdio: 'pipe' });
      } catch {
        // tsc still writes JavaScript when type errors elsewhere make it exit non-zero; the
        // existence check below decides.
      }
    }
    expect(existsSync(mainPath)).toBe(true);
  }, 120_000);

  it('prints CSV and exits 0', () => {
    const result = spawnSync(
      process.execPath,
      [mainPath, 'cachesim', '--trace', referenceTrace, '--policies', 'lru,s3fifo', '--sizes', '1%', '--format', 'csv'],
      { encoding: 'utf8' },
    );
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe(CACHESIM_CSV_COLUMNS.join(','));
    // libCacheSim's counts at 1% of the working-set bytes (3,003,241).
    expect(lines[1]).toMatch(/^lru,3003241,200000,117980,[0-9.]+,2807898655,2203388001,[0-9.]+$/);
    expect(lines[2]).toMatch(/^"s3fifo\(small=0.1,ghost=0.9,threshold=2\)",3003241,200000,97192,[0-9.]+,2807898655,1801717454,[0-9.]+$/);
  });

  it('exits 2 on a malformed trace', () => {
    const path = join(folder, 'bad.csv');
    writeFileSync(path, 'time,obj_id,obj_size\n0,1,10\n1,2,ten\n');
    const result = spawnSync(process.execPath, [mainPath, 'cachesim', '--trace', path], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${path}, line 3: obj_size is "ten", expected a non-negative integer`);
  });
});

describe('cachesim --mrc', () => {
  it('reads the point count and folder', async () => {
    const parsed = await parseArgv(['cachesim', '--trace', 'a.csv', '--mrc', '20', '--out', 'curves']);
    expect(parsed).toMatchObject({ mrc: 20, out: 'curves' });
    expect(resolveCachesimArgs(args({ mrc: 20, out: 'curves' })).mrcPoints).toBe(20);
  });

  it('rejects fewer than two points', () => {
    expect(() => resolveCachesimArgs(args({ mrc: 1 }))).toThrow('invalid --mrc 1: expected a whole number of sizes, at least 2');
  });

  it('runs every policy at every curve size', () => {
    const trace = readObjectTrace(referenceTrace, { format: 'csv', ignoreSize: true });
    const results = runCachesim(resolveCachesimArgs(args({ policies: 'lru,fifo', mrc: 5, ignoreSize: true })), trace);
    expect(results.map((result) => result.cacheSize)).toEqual([16, 94, 531, 2990, 16817, 16, 94, 531, 2990, 16817]);
  });
});
