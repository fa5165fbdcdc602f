// The fio JSON reader against real fio 3.33 output: the Sabrent Rocket 4 Plus sweep (one file per
// job, options per job) and the local virtio set (one file, five stonewalled jobs, global options).
// Headline values are fio's own numbers from the files, as listed in test/fixtures/fio/README.md.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FioInputError, parseFioJson, parseFioSize, queueDepthOf, readFioResults } from '../../devices/fio.js';

const fixtures = fileURLToPath(new URL('../fixtures/fio/', import.meta.url));
const sabrent = join(fixtures, 'sabrent-rocket4plus-2tb');
const virtio = join(fixtures, 'local-virtio');
const scratch = mkdtempSync(join(tmpdir(), 'kvtier-fio-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function inputError(action: () => unknown): FioInputError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(FioInputError);
    expect((error as FioInputError).code).toBe('ERR_KVTIER_INPUT');
    return error as FioInputError;
  }
  throw new Error('expected a FioInputError');
}

describe('readFioResults', () => {
  const points = readFioResults([sabrent]);

  it('reads every job of a folder', () => {
    expect(points).toHaveLength(21);
    expect(points.filter((point) => point.rw === 'randread')).toHaveLength(7);
    expect(points.filter((point) => point.rw === 'randrw')).toHaveLength(7);
  });

  it('reads 4 KiB random read at depth 1', () => {
    const point = points.find((candidate) => candidate.file.endsWith('randread-1-1.json'));
    expect(point).toBeDefined();
    if (point === undefined || point.read === null) return;
    expect(point.rw).toBe('randread');
    expect(point.readBlockBytes).toBe(4096);
    expect(queueDepthOf(point)).toBe(1);
    expect(point.rwmixread).toBe(100);
    expect(point.write).toBeNull();
    // fio reports 14,059.x IOPS and p50/p99/p99.9 = 64,256/79,360/109,056 ns.
    expect(Math.round(point.read.iops)).toBe(14059);
    expect(point.read.clatPercentilesNs.get(50)).toBe(64256);
    expect(point.read.clatPercentilesNs.get(99)).toBe(79360);
    expect(point.read.clatPercentilesNs.get(99.9)).toBe(109056);
  });

  it('reads depth 64 random read', () => {
    const point = points.find((candidate) => candidate.file.endsWith('randread-64-1.json'));
    expect(point?.iodepth).toBe(64);
    expect(Math.round(point?.read?.iops ?? 0)).toBe(246534);
  });

  it('reads both directions of a mix', () => {
    const point = points.find((candidate) => candidate.file.endsWith('randrw50-randrw-1-1.json'));
    expect(point?.rwmixread).toBe(50);
    expect(Math.round(point?.read?.iops ?? 0)).toBe(11143);
    expect(Math.round(point?.write?.iops ?? 0)).toBe(11155);
  });

  it('merges global and job options', () => {
    const jobs = readFioResults([virtio]);
    expect(jobs.map((job) => job.jobName)).toEqual(['randread-4k-qd1', 'randread-4k-qd32', 'randread-1m-qd8', 'randwrite-4k-qd1', 'write-1m-qd8']);
    const sequential = jobs[4];
    expect(sequential.rw).toBe('write');
    expect(sequential.writeBlockBytes).toBe(1 << 20);
    expect(sequential.iodepth).toBe(8);
    expect(Math.round(sequential.write?.iops ?? 0)).toBe(1511);
  });

  it('sums the processes of one job', () => {
    const document = JSON.parse(readFileSync(join(sabrent, 'randread-1-1.json'), 'utf8'));
    const first = document.jobs[0];
    const second = structuredClone(first);
    second.read.iops = first.read.iops / 2;
    second.read.bw_bytes = first.read.bw_bytes / 2;
    second.read.total_ios = first.read.total_ios / 2;
    second.read.clat_ns.percentile['99.000000'] = 2 * first.read.clat_ns.percentile['99.000000'];
    document.jobs.push(second);
    const [point] = parseFioJson(JSON.stringify(document), 'two-processes.json');
    expect(point.numjobs).toBe(2);
    expect(point.read?.iops).toBeCloseTo(1.5 * first.read.iops, 6);
    // Weighted by commands: (1 x p99 + 0.5 x 2 p99) / 1.5 = 4/3 p99.
    expect(point.read?.clatPercentilesNs.get(99)).toBeCloseTo((4 / 3) * first.read.clat_ns.percentile['99.000000'], 6);
  });

  it('reads lat_ns percentiles without clat ones', () => {
    // fio run with lat_percentiles=1 reports the percentiles under lat_ns.
    const document = JSON.parse(readFileSync(join(sabrent, 'randread-1-1.json'), 'utf8'));
    const read = document.jobs[0].read;
    read.lat_ns.percentile = read.clat_ns.percentile;
    delete read.clat_ns.percentile;
    const [point] = parseFioJson(JSON.stringify(document), 'lat.json');
    expect(point.read?.clatPercentilesNs.get(99)).toBe(79360);
  });

  it('skips warnings before the JSON', () => {
    const text = `fio: file hash not empty on exit\n${readFileSync(join(sabrent, 'randread-1-1.json'), 'utf8')}`;
    expect(parseFioJson(text, 'with-warning.json')).toHaveLength(1);
  });
});

describe('fio input errors', () => {
  it('rejects a file that is not JSON', () => {
    const file = join(scratch, 'notes.json');
    writeFileSync(file, 'not json at all');
    expect(inputError(() => readFioResults([file])).message).toMatch(/notes\.json is not fio JSON output/);
  });

  it('names a missing jobs list', () => {
    const file = join(scratch, 'no-jobs.json');
    writeFileSync(file, JSON.stringify({ 'fio version': 'fio-3.33' }));
    expect(inputError(() => readFioResults([file])).message).toMatch(/no-jobs\.json is not fio JSON output: missing "jobs"/);
  });

  it('names a missing clat_ns', () => {
    const document = JSON.parse(readFileSync(join(sabrent, 'randread-1-1.json'), 'utf8'));
    delete document.jobs[0].read.clat_ns;
    expect(inputError(() => parseFioJson(JSON.stringify(document), 'old.json')).message).toMatch(/old\.json .*read\.clat_ns/);
  });

  it('rejects a job that failed', () => {
    const document = JSON.parse(readFileSync(join(sabrent, 'randread-1-1.json'), 'utf8'));
    document.jobs[0].error = 5;
    expect(inputError(() => parseFioJson(JSON.stringify(document), 'failed.json')).message).toMatch(/failed\.json: job "FIOJOB" failed with fio error 5/);
  });

  it('rejects fio 2 output', () => {
    expect(inputError(() => parseFioJson(JSON.stringify({ 'fio version': 'fio-2.2.10', jobs: [] }), 'v2.json')).message).toMatch(/expected fio 3\.x/);
  });

  it('rejects a missing path', () => {
    expect(inputError(() => readFioResults([join(scratch, 'absent')])).message).toMatch(/cannot read fio results/);
  });
});

describe('parseFioSize', () => {
  it('reads binary suffixes', () => {
    expect(parseFioSize('4k')).toBe(4096);
    expect(parseFioSize('1m')).toBe(1 << 20);
    expect(parseFioSize('64KiB')).toBe(65536);
    expect(parseFioSize('4096')).toBe(4096);
    expect(parseFioSize('lots')).toBeNaN();
  });
});
