import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildRunScenario } from '../../cli/run.js';
import { runScenario } from '../../sim/run.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/cli/main.js');
const trace = join(root, 'workloads/data/mooncake_conversation_trace.jsonl');

function kvtier(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8' });
}

beforeAll(() => {
  // The spawned tests run the compiled CLI; `npm test` builds it first.
  expect(existsSync(cli), `${cli} is missing: run npm run build`).toBe(true);
});

describe('buildRunScenario', () => {
  it('uses the default scenario without flags', () => {
    const scenario = buildRunScenario({});
    expect(scenario.name).toBe('default');
    expect(scenario.model.preset).toBe('llama3.1-70b-fp8');
    expect(scenario.gpu.preset).toBe('h200');
    expect(scenario.tiers.ssd.device).toBe('pblaze7-7a40');
    expect(scenario.workload.kind).toBe('synthetic');
  });

  it('maps flags to scenario keys', () => {
    const scenario = buildRunScenario({ seed: 9, policy: 'fifo', 'gpu-cache': '8GB', dram: '64GiB', 'load-rule': 'always', sessions: 12 });
    expect(scenario.seed).toBe(9);
    expect(scenario.tiers.gpu.policy).toBe('fifo');
    expect(scenario.tiers.dram.policy).toBe('fifo');
    expect(scenario.tiers.ssd.policy).toBe('fifo');
    expect(scenario.tiers.gpu.capacity).toBe(8e9);
    expect(scenario.tiers.dram.capacity).toBe(64 * 2 ** 30);
    expect(scenario.loadRule).toBe('always');
    expect(scenario.workload.kind).toBe('synthetic');
    expect((scenario.workload as { sessions?: number }).sessions).toBe(12);
  });

  it('replaces the workload with a trace', () => {
    const scenario = buildRunScenario({ trace: 'some.jsonl', format: 'mooncake' });
    expect(scenario.workload).toEqual({ kind: 'mooncake', path: 'some.jsonl', blockTokens: 512 });
  });

  it('resolves a trace path relative to its scenario file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvtier-config-'));
    const file = join(dir, 'scenario.json');
    writeFileSync(file, JSON.stringify({ name: 'from-file', workload: { kind: 'mooncake', path: 'trace.jsonl' } }));
    const scenario = buildRunScenario({ config: file, seed: 4 });
    expect(scenario.name).toBe('from-file');
    expect(scenario.seed).toBe(4);
    expect(scenario.workload.kind).toBe('mooncake');
    expect((scenario.workload as { path?: string }).path).toBe(join(dir, 'trace.jsonl'));
  });

  it('rejects scenarios that cannot run', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ policy: 'belady' }, /tiers\.gpu\.policy is belady, an offline policy/],
      [{ policy: 'lirs', 'gpu-cache': '2GB' }, /tiers\.gpu\.policy lirs\(hir=0\.01\) admits objects up to 1\.0% of the tier \(20\.0 MB\) but one KV block is 83\.9 MB/],
      [{ ssd: 'pcie5-x16' }, /tiers\.ssd\.device is pcie5-x16, a link preset: expected one of pblaze7-7a40/],
      [{ ssd: 'local-virtio' }, /tiers\.ssd\.capacity is auto but device local-virtio has no capacity/],
    ];
    for (const [args, message] of cases) {
      const scenario = buildRunScenario(args);
      expect(() => runScenario(scenario)).toThrow(message);
    }
  });

  it('names the key and value of an invalid flag', () => {
    expect(() => buildRunScenario({ 'ssd-capacity': 'lots' })).toThrow(/tiers\.ssd\.capacity: .*got "lots"/);
    expect(() => buildRunScenario({ 'gpu-policy': 'lru(x=1)' })).toThrow(/tiers\.gpu\.policy: policy "lru" takes no parameters, got "x"/);
  });
});

describe('kvtier run', () => {
  it('writes a complete run folder', () => {
    const out = mkdtempSync(join(tmpdir(), 'kvtier-run-'));
    const result = kvtier('run', '--sessions', '30', '--out', out, '--quiet');
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/requests, token hit rate .* M events\/s\) -> /);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.requests.completed).toBe(summary.requests.arrived);
    expect(summary.seed).toBe(1);
    for (const weight of ['tokens', 'blocks']) {
      for (const tier of ['gpu', 'dram', 'ssd', 'total']) expect(typeof summary.hitRate[weight][tier]).toBe('number');
    }
    for (const metric of ['ttftMs', 'tpotMs']) {
      for (const stat of ['p50', 'p90', 'p99', 'p999', 'max']) expect(summary[metric][stat]).toBeGreaterThan(0);
    }
    expect(summary.ssd.bytesWritten).toBeGreaterThanOrEqual(0);
    expect(summary.ssd.bytesRead).toBeGreaterThanOrEqual(0);
    const csv = readFileSync(join(out, 'metrics.csv'), 'utf8').split('\n');
    expect(csv[0]).toBe('scenario,seed,gpu_policy,dram_policy,ssd_policy,metric,value');
    expect(csv).toContain(`default,1,lru,lru,lru,requests.completed,${summary.requests.completed}`);
    expect(csv).toContain('default,1,lru,lru,lru,partial,false');
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('| TTFT |');
  });

  it('reproduces a run from its config.json', () => {
    const first = mkdtempSync(join(tmpdir(), 'kvtier-first-'));
    const second = mkdtempSync(join(tmpdir(), 'kvtier-second-'));
    expect(kvtier('run', '--sessions', '25', '--seed', '5', '--policy', 'fifo', '--out', first, '--quiet').status).toBe(0);
    expect(kvtier('run', '--config', join(first, 'config.json'), '--out', second, '--quiet').status).toBe(0);
    expect(readFileSync(join(second, 'summary.json'), 'utf8')).toBe(readFileSync(join(first, 'summary.json'), 'utf8'));
    expect(readFileSync(join(second, 'config.json'), 'utf8')).toBe(readFileSync(join(first, 'config.json'), 'utf8'));
  });

  it('replays the whole Mooncake trace', () => {
    const out = mkdtempSync(join(tmpdir(), 'kvtier-mooncake-'));
    const result = kvtier('run', '--trace', trace, '--format', 'mooncake', '--out', out, '--quiet');
    expect(result.status, result.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.requests.arrived).toBe(12_031);
    expect(summary.requests.completed).toBe(12_031);
    expect(summary.lookups.blocks).toBe(288_500);
    expect(summary.lookups.tokens).toBe(144_793_823);
    expect(summary.memory.blockTokens).toBe(512);
  });

  it('exits 2 on a malformed trace line and writes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvtier-bad-'));
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"timestamp": 0, "input_length": 10, "output_length": 2, "hash_ids": [1]}\n{"timestamp": 1, "input_length": 10, "hash_ids": [1]}\n');
    const out = join(dir, 'run');
    const result = kvtier('run', '--trace', bad, '--format', 'mooncake', '--out', out);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(bad);
    expect(result.stderr).toContain('line 2');
    expect(result.stderr).toContain('output_length');
    expect(existsSync(out)).toBe(false);
  });

  it('writes partial results on Ctrl-C', async () => {
    const out = mkdtempSync(join(tmpdir(), 'kvtier-interrupted-'));
    // A million sessions run for minutes, so the signal arrives mid-run.
    const child = spawn(process.execPath, [cli, 'run', '--sessions', '1000000', '--out', out, '--quiet'], { cwd: root });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdout.on('data', (chunk) => (stdout += chunk));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    child.kill('SIGINT');
    const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    expect(status, stderr).toBe(130);
    expect(stderr).toContain('partial results');
    expect(stdout).toMatch(/^partial run \(interrupted\): /);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.partial).toBe(true);
    expect(summary.requests.completed).toBeGreaterThan(0);
    expect(summary.requests.completed).toBeLessThan(5_000_000);
    expect(readFileSync(join(out, 'metrics.csv'), 'utf8')).toContain(',partial,true');
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('**Partial run:**');
  });

  it('leaves no temporary file after a second Ctrl-C', async () => {
    const out = mkdtempSync(join(tmpdir(), 'kvtier-quit-'));
    const child = spawn(process.execPath, [cli, 'run', '--sessions', '1000000', '--requests-csv', '--out', out, '--quiet'], { cwd: root });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGINT');
    const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    expect(status).toBe(130);
    expect(readdirSync(out).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('exits 2 on an unknown option', () => {
    const result = kvtier('run', '--sesions', '3');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('Unknown argument: sesions');
  });

  it('exits 2 on an invalid scenario file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvtier-config-'));
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{"tiers": ');
    const result = kvtier('run', '--config', file);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`scenario file ${file} is not valid JSON`);
  });

  it('exits 2 on a scenario file that is not an object', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvtier-config-'));
    const file = join(dir, 'array.json');
    writeFileSync(file, '[1, 2]');
    const result = kvtier('run', '--config', file);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`scenario file ${file} must contain a JSON object`);
    expect(result.stderr).toContain('not an array');
  });
});
