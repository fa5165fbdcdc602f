import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { summarizeValues } from '../../results/statistics.js';
import { aggregateSweep, type SweepResults } from '../../results/sweep-aggregate.js';
import { findFinishedRuns, joinShards, openSweepFolder, runFilePath, writeRunRecord } from '../../results/sweep-folder.js';
import { renderSweepPlots } from '../../results/sweep-plots.js';
import type { SweepManifest, SweepRunRecord } from '../../results/sweep-record.js';
import { TTFT_QUANTILE_LEVELS } from '../../results/sweep-record.js';
import { renderResultsCsv, renderSweepHtml, renderSweepMarkdown, writeSweepReports } from '../../results/sweep-report.js';
import { executeRun, planSweep, selectShard, serializeRunRecord, type SweepPlan } from '../../sim/sweep.js';

const SWEEP = {
  name: 'small',
  base: {
    workload: { kind: 'synthetic', sessions: 20 },
    tiers: { gpu: { capacity: '1GB' }, dram: { capacity: '1GB' }, ssd: { ratedDwpd: 1, warrantyYears: 5 } },
  },
  axes: {
    'tiers.gpu.policy+tiers.dram.policy': ['lru', 'fifo'],
    'tiers.ssd.capacity': ['20GB', '80GB'],
    seed: [1, 2, 3],
  },
};

let plan: SweepPlan;
let manifest: SweepManifest;
let texts: string[];
let records: SweepRunRecord[];
let results: SweepResults;

beforeAll(() => {
  plan = planSweep(SWEEP, { source: 'test', folder: '.', kvtierVersion: 'test' });
  manifest = { kvtierVersion: 'test', runCount: plan.runs.length, cellCount: plan.cellCount, sweep: plan.definition };
  texts = plan.runs.map((run) => serializeRunRecord(executeRun(run, 'test')));
  records = texts.map((text) => JSON.parse(text) as SweepRunRecord);
  results = aggregateSweep(manifest, records);
});

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

describe('aggregateSweep', () => {
  it('groups runs into cells over seeds', () => {
    expect(results.cells).toHaveLength(4);
    for (const cell of results.cells) expect(cell.seeds).toEqual([1, 2, 3]);
    expect(results.cells.map((cell) => cell.runs)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7, 8],
      [9, 10, 11],
    ]);
  });

  it('keeps axis values and resolved settings', () => {
    const cell = results.cells[1];
    expect(cell.values).toEqual({ 'tiers.gpu.policy+tiers.dram.policy': 'lru', 'tiers.ssd.capacity': '80GB' });
    expect(cell.settings['tiers.ssd.capacity']).toBe(80e9);
    expect(cell.policies.gpu).toBe('lru');
    expect(cell.policies.dram).toBe('lru');
  });

  it('reduces each metric over seeds', () => {
    const cell = results.cells[2];
    const runs = records.filter((record) => record.cell === cell.cell);
    const hitRates = runs.map((record) => record.summary.hitRate.tokens.total);
    expect(cell.metrics['hitRate.tokens.total']).toEqual(summarizeValues(hitRates));
    expect(cell.metrics.seed).toBeUndefined();
  });

  it('reduces nullable metrics over present values', () => {
    const cell = results.cells[0];
    const runs = records.filter((record) => record.cell === 0);
    const days = runs.map((record) => record.summary.ssd.daysToRatedEndurance);
    expect(cell.metrics['ssd.daysToRatedEndurance']).toEqual(summarizeValues(days));
    expect(cell.metrics['ssd.daysToRatedEndurance'].n).toBe(days.filter((value) => value !== null).length);
  });

  it('averages TTFT quantiles over seeds', () => {
    const cell = results.cells[0];
    expect(cell.ttftQuantilesMs).toHaveLength(TTFT_QUANTILE_LEVELS.length);
    const runs = records.filter((record) => record.cell === 0);
    const median = TTFT_QUANTILE_LEVELS.indexOf(0.5);
    const expected = runs.reduce((sum, record) => sum + (record.ttftQuantilesMs[median] as number), 0) / runs.length;
    expect(cell.ttftQuantilesMs[median]).toBeCloseTo(expected, 9);
  });
});

describe('sweep reports', () => {
  it('write one csv row per cell and metric', () => {
    const csv = renderResultsCsv(results);
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'sweep,cell,tiers.gpu.policy+tiers.dram.policy,tiers.ssd.capacity,gpu_policy,dram_policy,ssd_policy,seeds,metric,n,mean,sd,ci95_low,ci95_high',
    );
    const metricsPerCell = Object.keys(results.cells[0].metrics).length;
    expect(lines).toHaveLength(1 + results.cells.length * metricsPerCell);
    expect(lines.some((line) => line.startsWith('small,3,fifo,80000000000,fifo,fifo,lru,1 2 3,hitRate.tokens.total,3,'))).toBe(true);
  });

  it('tabulate hit rate by series and x in Markdown', () => {
    const markdown = renderSweepMarkdown(results, renderSweepPlots(results));
    expect(markdown).toContain('| tiers.gpu.policy+tiers.dram.policy \\ tiers.ssd.capacity | 20GB | 80GB |');
    expect(markdown).toContain('![Token hit rate](plots/hit-rate.svg)');
    expect(markdown).toMatch(/mean ± t\(0\.975, n-1\)/);
  });

  it('inline every plot in the HTML report', () => {
    const plots = renderSweepPlots(results);
    const html = renderSweepHtml(results, plots);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.match(/<svg /g)).toHaveLength(plots.length);
    expect(html).not.toMatch(/<img|src=/);
  });

  it('write the report files', () => {
    const dir = tempDir('kvtier-sweep-report-');
    const files = writeSweepReports(dir, manifest, texts).map((path) => path.slice(dir.length + 1));
    expect(files).toEqual([
      'results.csv',
      'results.json',
      'report.md',
      'report.html',
      'plots/hit-rate.svg',
      'plots/ttft-cdf.svg',
      'plots/tier-shares.svg',
      'plots/ssd-written.svg',
      'plots/ssd-endurance.svg',
    ]);
    const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(json.cells).toHaveLength(4);
  });
});

describe('renderSweepPlots', () => {
  it('draw every series in each line chart', () => {
    const plots = renderSweepPlots(results);
    const hitRate = plots.find((plot) => plot.file === 'hit-rate.svg')?.svg ?? '';
    expect(hitRate.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(hitRate.trimEnd().endsWith('</svg>')).toBe(true);
    // One line and one confidence band per series (lru, fifo), one marker per cell.
    expect(hitRate.match(/fill="none" stroke=/g)).toHaveLength(2);
    expect(hitRate.match(/fill-opacity="0.15"/g)).toHaveLength(2);
    expect(hitRate.match(/<circle /g)).toHaveLength(4);
    expect(hitRate).not.toMatch(/NaN|undefined/);
  });

  it('draw one stacked bar per tier and cell', () => {
    const shares = renderSweepPlots(results).find((plot) => plot.file === 'tier-shares.svg')?.svg ?? '';
    const rects = shares.match(/<rect x=/g) ?? [];
    // A segment per tier with a non-zero share in each cell, plus the three legend swatches.
    const segments = results.cells.flatMap((cell) => ['gpu', 'dram', 'ssd'].filter((tier) => (cell.metrics[`hitRate.tokens.${tier}`].mean as number) > 0));
    expect(segments.length).toBeGreaterThan(4);
    expect(rects).toHaveLength(segments.length + 3);
  });

  it('render the same text twice', () => {
    expect(renderSweepPlots(results)).toEqual(renderSweepPlots(aggregateSweep(manifest, records)));
  });

  it('spread series along x without an x axis', () => {
    const single = planSweep(
      { ...SWEEP, axes: { 'tiers.dram.policy': ['lru', 'fifo', 'arc'], seed: [1, 2] } },
      { source: 'test', folder: '.', kvtierVersion: 'test' },
    );
    expect(single.definition.plots).toEqual({ x: null, series: 'tiers.dram.policy' });
    const singleManifest = { kvtierVersion: 'test', runCount: single.runs.length, cellCount: single.cellCount, sweep: single.definition };
    const plots = renderSweepPlots(aggregateSweep(singleManifest, single.runs.map((run) => executeRun(run, 'test'))));
    const hitRate = plots.find((plot) => plot.file === 'hit-rate.svg')?.svg ?? '';
    // One point and one whisker per series, each at its own x, with the series as tick labels.
    const markers = [...hitRate.matchAll(/<circle cx="([\d.]+)"/g)].map((match) => match[1]);
    expect(new Set(markers).size).toBe(3);
    expect(hitRate.match(/<line x1="([\d.]+)" x2="\1" y1="[\d.]+" y2="[\d.]+" stroke="#\w+" stroke-width="1.5"\/>/g)).toHaveLength(3);
    expect(hitRate).toContain('>arc</text>');
    expect(hitRate).not.toMatch(/NaN|undefined/);
  });

  it('split plots by a third axis', () => {
    const faceted = planSweep(
      { ...SWEEP, axes: { ...SWEEP.axes, 'tiers.dram.capacity': ['2GB', '4GB'], seed: [1] } },
      { source: 'test', folder: '.', kvtierVersion: 'test' },
    );
    const facetedManifest = { kvtierVersion: 'test', runCount: faceted.runs.length, cellCount: faceted.cellCount, sweep: faceted.definition };
    const facetedRecords = faceted.runs.map((run) => executeRun(run, 'test'));
    const files = renderSweepPlots(aggregateSweep(facetedManifest, facetedRecords)).map((plot) => plot.file);
    expect(files).toContain('hit-rate-1.svg');
    expect(files).toContain('hit-rate-2.svg');
    expect(files).toHaveLength(10);
  });
});

describe('sweep folders', () => {
  function writeShards(count: number, skip: number[] = []): string[] {
    return Array.from({ length: count }, (_, shard) => {
      const dir = tempDir(`kvtier-shard-${shard}-`);
      openSweepFolder(dir, { ...manifest, shard: { index: shard, count } });
      for (const run of selectShard(plan.runs, shard, count)) {
        if (!skip.includes(run.index)) writeRunRecord(dir, run.index, manifest.runCount, texts[run.index]);
      }
      return dir;
    });
  }

  it('join shards in index order', () => {
    const joined = joinShards(writeShards(3));
    expect(joined.texts).toEqual(texts);
    expect(joined.manifest).toEqual(manifest);
  });

  it('reject a missing run', () => {
    expect(() => joinShards(writeShards(2, [5]))).toThrow(/contain 11 of 12 runs; missing run 5\b/);
  });

  it('reject a run in two folders', () => {
    const dirs = writeShards(2);
    writeRunRecord(dirs[1], 0, manifest.runCount, texts[0]);
    expect(() => joinShards(dirs)).toThrow(/run 0 is in both .* and /);
  });

  it('reject shards of different sweeps', () => {
    const dirs = writeShards(2);
    const other = tempDir('kvtier-shard-other-');
    openSweepFolder(other, { ...manifest, kvtierVersion: 'other', shard: { index: 1, count: 2 } });
    expect(() => joinShards([dirs[0], other])).toThrow(/contain different sweeps/);
  });

  it('reject a folder of another sweep', () => {
    const dir = tempDir('kvtier-sweep-other-');
    openSweepFolder(dir, manifest);
    expect(() => openSweepFolder(dir, { ...manifest, kvtierVersion: 'other' })).toThrow(/contains a different sweep/);
    expect(() => openSweepFolder(dir, { ...manifest, shard: { index: 0, count: 2 } })).toThrow(/contains this sweep without shards/);
  });

  it('find finished runs by their configuration', () => {
    const dir = tempDir('kvtier-sweep-resume-');
    openSweepFolder(dir, manifest);
    writeRunRecord(dir, 0, manifest.runCount, texts[0]);
    writeRunRecord(dir, 1, manifest.runCount, texts[2]);
    mkdirSync(join(dir, 'runs'), { recursive: true });
    writeFileSync(runFilePath(dir, 3, manifest.runCount), '{"index": 3, "conf');
    const finished = findFinishedRuns(dir, manifest.runCount, plan.runs);
    expect([...finished]).toEqual([0]);
    rmSync(dir, { recursive: true });
  });
});
