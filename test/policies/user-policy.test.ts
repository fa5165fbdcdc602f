// Policies from user modules: the example policies in examples/policies/ loaded from their files
// and run in both modes (in-process and through the built CLI), and bad modules failing with an
// error that names the file.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePolicySpec } from '../../policies/registry.js';
import { isPolicyModuleSpec, loadPolicyModule, resolvePolicyModuleSpec } from '../../policies/user-policy.js';
import { buildSummary } from '../../results/summary.js';
import { readObjectTrace, simulateObjectTrace } from '../../sim/cachesim.js';
import { DEFAULT_SCENARIO } from '../../sim/default-scenario.js';
import { collectRunFacts, runScenario } from '../../sim/run.js';
import { mergeScenario, parseScenario } from '../../sim/scenario.js';
import { replay } from './replay.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const segmentedLruPath = `${root}examples/policies/segmented-lru.js`;
const systemPromptLruPath = `${root}examples/policies/system-prompt-lru.ts`;
const referenceTrace = `${root}test/fixtures/libcachesim/zipf_a1.0_200k_seed42.csv`;
const folder = mkdtempSync(join(tmpdir(), 'kvtier-user-policy-'));

/** Writes a module into the test folder and returns its path. */
function writeModule(name: string, source: string): string {
  const path = join(folder, name);
  writeFileSync(path, source);
  return path;
}

function runSummary(policy: string) {
  const scenario = parseScenario(
    mergeScenario(DEFAULT_SCENARIO, { workload: { sessions: 30 }, tiers: { gpu: { capacity: '2GB', policy }, dram: { capacity: '4GB', policy } } }),
    'test',
  );
  return buildSummary(collectRunFacts(runScenario(scenario), 'test'));
}

describe('example policies from files', () => {
  it('recognises module paths', () => {
    expect(isPolicyModuleSpec('./p.js')).toBe(true);
    expect(isPolicyModuleSpec('dir/p(k=1)')).toBe(true);
    expect(isPolicyModuleSpec('p.ts(k=1)')).toBe(true);
    expect(isPolicyModuleSpec('lru')).toBe(false);
    expect(isPolicyModuleSpec('s3fifo(small=0.2)')).toBe(false);
  });

  it('segmented-lru registers with its parameters', async () => {
    expect(await resolvePolicyModuleSpec(`${segmentedLruPath}(protected=0.5)`)).toBe('segmented-lru(protected=0.5)');
    expect(parsePolicySpec('segmented-lru').label).toBe('segmented-lru(protected=0.8)');
  });

  it('segmented-lru protects a block hit once', async () => {
    await loadPolicyModule(segmentedLruPath);
    // Capacity 4, protected share 2: 1 is hit and protected, so 5 evicts 2 from probation and 1 hits.
    expect(replay('segmented-lru(protected=0.5)', 4, [1, 1, 2, 3, 4, 5, 1]).hits).toBe('0100001');
    expect(replay('lru', 4, [1, 1, 2, 3, 4, 5, 1]).hits).toBe('0100000');
  });

  it('segmented-lru runs in object-trace mode', async () => {
    await loadPolicyModule(segmentedLruPath);
    const trace = readObjectTrace(referenceTrace, { format: 'csv', ignoreSize: true });
    const segmented = simulateObjectTrace(trace, parsePolicySpec('segmented-lru'), 840);
    const lru = simulateObjectTrace(trace, parsePolicySpec('lru'), 840);
    expect(segmented.requests).toBe(200_000);
    expect(segmented.misses).toBeGreaterThan(0);
    expect(segmented.misses).not.toBe(lru.misses);
  });

  it('segmented-lru runs in the full simulation', async () => {
    await loadPolicyModule(segmentedLruPath);
    const summary = runSummary('segmented-lru');
    expect(summary.requests.completed).toBe(summary.requests.arrived);
    expect(JSON.stringify(summary)).toContain('"policy":"segmented-lru(protected=0.8)"');
  });

  it('system-prompt-lru compiles from TypeScript and runs', async () => {
    expect(await resolvePolicyModuleSpec(systemPromptLruPath)).toBe('system-prompt-lru');
    const summary = runSummary('system-prompt-lru(protect=4)');
    expect(summary.requests.completed).toBe(summary.requests.arrived);
  }, 30_000);
});

describe('bad policy modules', () => {
  async function loadError(path: string): Promise<Error & { code?: string }> {
    try {
      await loadPolicyModule(path);
    } catch (error) {
      return error as Error & { code?: string };
    }
    throw new Error(`loading ${path} did not fail`);
  }

  it('rejects a missing file', async () => {
    const error = await loadError(join(folder, 'absent.js'));
    expect(error.message).toContain(`policy module ${join(folder, 'absent.js')} not found`);
    expect(error.code).toBe('ERR_KVTIER_INPUT');
  });

  it('rejects a module without a definition', async () => {
    const path = writeModule('empty.js', 'export const other = 1;\n');
    expect((await loadError(path)).message).toBe(
      `policy module ${path}: expected a default export or an export named "policy" holding a policy definition { name, description, parameters, create }`,
    );
  });

  it('rejects a module that throws on import', async () => {
    const path = writeModule('throws-on-import.js', "throw new Error('broken module');\n");
    expect((await loadError(path)).message).toBe(`policy module ${path} failed to load: broken module`);
  });

  it('rejects a policy without evict', async () => {
    const path = writeModule(
      'no-evict.js',
      "export default { name: 'no-evict', description: 'x', parameters: [], create: () => ({ grow() {}, onHit() {}, admit() { return true; }, insert() {}, remove() {} }) };\n",
    );
    expect((await loadError(path)).message).toBe(`policy module ${path}: policy "no-evict" lacks the method evict()`);
  });

  it('rejects a factory that throws', async () => {
    const path = writeModule('bad-create.js', "export default { name: 'bad-create', description: 'x', parameters: [], create: () => { throw new Error('no state'); } };\n");
    expect((await loadError(path)).message).toBe(`policy module ${path}: create() of policy "bad-create" failed: no state`);
  });

  it('rejects a name taken by a built-in policy', async () => {
    const path = writeModule('shadow.js', "export default { name: 'lru', description: 'x', parameters: [], create: () => ({}) };\n");
    const error = await loadError(path);
    expect(error.message).toBe(`policy module ${path}: policy "lru" is already registered: rename the policy in the module`);
  });

  it('names the file when a method throws during a run', async () => {
    const path = writeModule(
      'evict-throws.js',
      "export default { name: 'evict-throws', description: 'x', parameters: [], create: () => ({ grow() {}, onHit() {}, admit() { return true; }, insert() {}, remove() {}, evict() { throw new Error('boom'); } }) };\n",
    );
    await loadPolicyModule(path);
    const trace = readObjectTrace(referenceTrace, { format: 'csv', ignoreSize: true });
    expect(() => simulateObjectTrace(trace, parsePolicySpec('evict-throws'), 10)).toThrow(`policy module ${path}: evict() of policy "evict-throws" failed: boom`);
  });
});

describe('user policies through the built CLI', () => {
  const mainPath = `${root}dist/cli/main.js`;

  beforeAll(() => {
    // `npm test` builds first; a direct vitest run may find dist missing or older than the sources.
    const sources = ['cli/run.ts', 'cli/cachesim.ts', 'policies/user-policy.ts'];
    const stale = sources.some((source) => {
      const built = `${root}dist/${source.replace(/\.ts$/, '.js')}`;
      return !existsSync(built) || statSync(built).mtimeMs < statSync(`${root}${source}`).mtimeMs;
    });
    if (stale) {
      try {
        execFileSync(`${root}node_modules/.bin/tsc`, ['-p', `${root}tsconfig.json`], { stdio: 'pipe' });
      } catch {
        // tsc still writes JavaScript when type errors elsewhere make it exit non-zero.
      }
    }
    expect(existsSync(mainPath)).toBe(true);
  }, 120_000);

  function kvtier(...args: string[]) {
    return spawnSync(process.execPath, [mainPath, ...args], { encoding: 'utf8', cwd: root });
  }

  it('cachesim runs the example from its file', () => {
    const result = kvtier('cachesim', '--trace', referenceTrace, '--policy', './examples/policies/segmented-lru.js(protected=0.5)', '--sizes', '1%', '--ignore-size', '--format', 'csv');
    expect(result.stderr).not.toContain('kvtier:');
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n')[1]).toMatch(/^segmented-lru\(protected=0.5\),168,200000,\d+,/);
  });

  it('run runs the example from its file', () => {
    const out = join(folder, 'run-segmented');
    const result = kvtier('run', '--policy', './examples/policies/segmented-lru.js', '--sessions', '20', '--out', out, '--quiet');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readFileSync(join(out, 'summary.json'), 'utf8')).toContain('"policy": "segmented-lru(protected=0.8)"');
  });

  it('run exits 2 naming a bad module', () => {
    const path = writeModule('cli-no-evict.js', "export default { name: 'cli-no-evict', description: 'x', parameters: [], create: () => ({}) };\n");
    const result = kvtier('run', '--gpu-policy', path, '--sessions', '5', '--out', join(folder, 'run-bad'), '--quiet');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`kvtier: policy module ${path}: policy "cli-no-evict" lacks the method grow()`);
  });

  it('cachesim exits 2 when a method throws', () => {
    const path = writeModule(
      'cli-evict-throws.js',
      "export default { name: 'cli-evict-throws', description: 'x', parameters: [], create: () => ({ grow() {}, onHit() {}, admit() { return true; }, insert() {}, remove() {}, evict() { throw new Error('boom'); } }) };\n",
    );
    const result = kvtier('cachesim', '--trace', referenceTrace, '--policy', path, '--sizes', '10', '--ignore-size');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`kvtier: policy module ${path}: evict() of policy "cli-evict-throws" failed: boom`);
  });

  it('cachesim exits 2 on a missing module', () => {
    const result = kvtier('cachesim', '--trace', referenceTrace, '--policies', 'lru,./no-such-policy.js');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('kvtier: policy module ./no-such-policy.js not found');
  });
});
