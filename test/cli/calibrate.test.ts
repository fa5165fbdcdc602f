// `kvtier calibrate` end to end through the compiled CLI: fitting the real fio sets, checking a
// profile against runs, input errors (exit status 2), and `--target` running the real fio on a
// temporary folder, with its cleanup and its refusals. Every file goes under a temporary folder
// that the test creates and removes.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_COLUMNS } from '../../cli/calibrate.js';
import { parseNvmeProfile } from '../../devices/nvme-profile.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/cli/main.js');
const fixtures = join(root, 'test/fixtures/fio');
const scratch = mkdtempSync(join(tmpdir(), 'kvtier-calibrate-test-'));

function kvtier(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', env });
}

function folder(name: string): string {
  const path = join(scratch, name);
  mkdirSync(path);
  return path;
}

const hasFio = spawnSync('fio', ['--version']).status === 0;

beforeAll(() => {
  // The spawned tests run the compiled CLI; `npm test` builds it first.
  expect(existsSync(cli), `${cli} is missing: run npm run build`).toBe(true);
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('kvtier calibrate --from-fio', () => {
  it('fits the Sabrent set and writes CSV', () => {
    const out = join(scratch, 'sabrent.json');
    const result = kvtier(['calibrate', '--from-fio', join(fixtures, 'sabrent-rocket4plus-2tb'), '--out', out, '--format', 'csv']);
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines[0]).toBe('file,rw,bs,iodepth,numjobs,measured_iops,predicted_iops,measured_p99_us,predicted_p99_us');
    // 7 random reads, 7 random writes, and 7 mixes with a row per direction.
    expect(lines).toHaveLength(1 + 28);
    expect(lines.some((line) => /randread-1-1\.json,randread,4096,1,1,14059\.\d,14059\.\d,79\.36,79\.36$/.test(line))).toBe(true);
    const profile = parseNvmeProfile(JSON.parse(readFileSync(out, 'utf8')), out);
    expect(profile.name).toBe('sabrent');
  });

  it('prints the table and the fit line', () => {
    const out = join(scratch, 'virtio.json');
    const result = kvtier(['calibrate', '--from-fio', join(fixtures, 'local-virtio'), '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/5 of 5 points within 10% on IOPS and 20% on p99/);
    // Each virtio pattern was measured at one depth, so no job can be predicted from the others.
    expect(result.stdout).toMatch(/leave-one-out \(each job predicted by a fit to the others\): 0 of 5 points/);
    expect(result.stdout).toMatch(/randread\s+1m\s+8\s+1\s+528\s+528/);
  });

  it('needs --out', () => {
    const result = kvtier(['calibrate', '--from-fio', join(fixtures, 'local-virtio')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--out PROFILE\.json is required/);
  });

  it('names a file that is not fio JSON', () => {
    const input = folder('not-fio');
    writeFileSync(join(input, 'profile.json'), JSON.stringify({ hello: 'world' }));
    const result = kvtier(['calibrate', '--from-fio', input, '--out', join(scratch, 'never.json')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/profile\.json is not fio JSON output: missing "fio version"/);
    expect(existsSync(join(scratch, 'never.json'))).toBe(false);
  });
});

describe('kvtier run --ssd PROFILE.json', () => {
  const profile = join(root, 'devices/profiles/sabrent-rocket4plus-2tb.json');

  it('runs byte for byte the same twice', () => {
    const first = join(scratch, 'run-first');
    const second = join(scratch, 'run-second');
    for (const out of [first, second]) {
      const result = kvtier(['run', '--sessions', '20', '--dram', '16GB', '--ssd', profile, '--out', out, '--quiet']);
      expect(result.status, result.stderr).toBe(0);
    }
    const summary = readFileSync(join(first, 'summary.json'), 'utf8');
    expect(readFileSync(join(second, 'summary.json'), 'utf8')).toBe(summary);
    expect(JSON.parse(summary).ssd.deviceWriteAmplification).toBeGreaterThanOrEqual(1);
  });

  it('names a profile that is missing a field', () => {
    const broken = join(scratch, 'run-broken.json');
    const content = JSON.parse(readFileSync(profile, 'utf8'));
    delete content.channels;
    writeFileSync(broken, JSON.stringify(content));
    const result = kvtier(['run', '--sessions', '5', '--ssd', broken, '--out', join(scratch, 'never-run'), '--quiet']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/NVMe profile .*run-broken\.json is invalid: "channels" is missing/);
  });

  it('names a zero bandwidth in a profile', () => {
    const broken = join(scratch, 'run-zero.json');
    const content = JSON.parse(readFileSync(profile, 'utf8'));
    content.read.bytesPerSec = 0;
    writeFileSync(broken, JSON.stringify(content));
    const result = kvtier(['run', '--sessions', '5', '--ssd', broken, '--out', join(scratch, 'never-run'), '--quiet']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/run-zero\.json is invalid: "read\.bytesPerSec" is 0: expected a number > 0/);
  });
});

describe('kvtier calibrate --check', () => {
  it('predicts runs with a profile', () => {
    const out = join(scratch, 'check.json');
    expect(kvtier(['calibrate', '--from-fio', join(fixtures, 'sabrent-rocket4plus-2tb'), '--out', out]).status).toBe(0);
    const result = kvtier(['calibrate', '--check', out, '--fio', join(fixtures, 'sabrent-rocket4plus-2tb', 'randread-8-1.json')]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/1 of 1 points within 10% on IOPS/);
  });

  it('checks another drive in CSV', () => {
    const result = kvtier(['calibrate', '--check', join(root, 'devices/profiles/sabrent-rocket4plus-2tb.json'), '--fio', join(fixtures, 'local-virtio'), '--format', 'csv']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(1 + 5);
  });

  it('names a profile field that is missing', () => {
    const broken = join(scratch, 'broken.json');
    const profile = JSON.parse(readFileSync(join(root, 'devices/profiles/local-virtio.json'), 'utf8'));
    delete profile.curves;
    writeFileSync(broken, JSON.stringify(profile));
    const result = kvtier(['calibrate', '--check', broken, '--fio', join(fixtures, 'local-virtio')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/NVMe profile .*broken\.json is invalid: "curves" is missing/);
  });

  it('rejects two modes at once', () => {
    const result = kvtier(['calibrate', '--check', 'a.json', '--from-fio', 'b', '--fio', 'c']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/exactly one of --from-fio/);
  });
});

describe.skipIf(!hasFio)('kvtier calibrate --target with fio', () => {
  const quick = ['--size', '32MiB', '--runtime', '300ms', '--queue-depths', '1,4', '--block-size', '1MiB'];

  it('measures a folder and removes its data file', () => {
    const target = folder('target');
    const out = join(folder('target-out'), 'drive.json');
    const result = kvtier(['calibrate', '--target', target, '--out', out, ...quick]);
    expect(result.status, result.stderr).toBe(0);
    expect(readdirSync(target)).toEqual([]);

    const profile = parseNvmeProfile(JSON.parse(readFileSync(out, 'utf8')), out);
    expect(profile.name).toBe('drive');
    expect(profile.channels).toBe(4);
    // 4 KiB random read, write and mix (a curve per direction) and the 1 MiB read and write.
    expect(profile.curves).toHaveLength(6);
    expect(profile.read.bandwidthSource).toMatch(/^measured: randread of 1 MiB/);
    expect(profile.capacityBytes).toBeGreaterThan(0);
    expect(result.stdout).toMatch(/points within 10% on IOPS/);
    expect(existsSync(join(scratch, 'target-out', 'drive.fio.json'))).toBe(true);
  });

  it('stops on Ctrl-C and removes its data file', async () => {
    const target = folder('interrupted');
    const out = join(folder('interrupted-out'), 'drive.json');
    const child = spawn(process.execPath, [cli, 'calibrate', '--target', target, '--out', out, '--size', '32MiB', '--runtime', '20s', '--queue-depths', '1'], {
      cwd: root,
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Wait until the data file exists, then interrupt.
    while (readdirSync(target).length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(readdirSync(target)).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a file system without room', () => {
    const target = folder('too-small');
    const result = kvtier(['calibrate', '--target', target, '--out', join(scratch, 'never.json'), '--size', '1000TiB']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/not enough free space in .*too-small/);
    expect(readdirSync(target)).toEqual([]);
  });

  const blockDevice = readdirSync('/dev')
    .map((name) => join('/dev', name))
    .find((path) => {
      try {
        return statSync(path).isBlockDevice();
      } catch {
        return false;
      }
    });

  it.skipIf(blockDevice === undefined)('refuses a block device', () => {
    const result = kvtier(['calibrate', '--target', blockDevice as string, '--out', join(scratch, 'never.json'), ...quick]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/refusing to run write jobs on block device/);
  });
});

describe('kvtier calibrate without fio', () => {
  it('says how to install fio', () => {
    const result = kvtier(['calibrate', '--target', scratch, '--out', join(scratch, 'never.json')], { ...process.env, PATH: '/nonexistent' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/apt-get install fio/);
  });
});
