// The reports of a finished sweep, built from its run records alone. They are results.csv (tidy, one
// row per cell x metric), results.json (every cell with its statistics), report.md, report.html
// (self-contained, with the tables and plots) and the SVG plots in plots/.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { toJson, writeFileAtomic } from './run-folder.js';
import type { MetricStatistics } from './statistics.js';
import { aggregateSweep, type CellResult, type SweepResults } from './sweep-aggregate.js';
import { formatAxisValue, renderSweepPlots, type PlotFile } from './sweep-plots.js';
import type { SweepManifest, SweepRunRecord } from './sweep-record.js';

/** Renders results.csv: one row per cell x metric, with every varied key and the tier policies as columns. */
export function renderResultsCsv(results: SweepResults): string {
  const axisKeys = results.axes.filter((axis) => axis.key !== 'seed').map((axis) => axis.key);
  const columns = ['sweep', 'cell', ...axisKeys, 'gpu_policy', 'dram_policy', 'ssd_policy', 'seeds', 'metric', 'n', 'mean', 'sd', 'ci95_low', 'ci95_high'];
  const blankIfNull = (value: number | null) => (value === null ? '' : value);
  const rows: unknown[][] = [];
  for (const result of results.cells) {
    const settings = axisKeys.map((key) => {
      const value = result.settings[key];
      return typeof value === 'object' && value !== null ? JSON.stringify(value) : value;
    });
    const labels = [results.name, result.cell, ...settings, result.policies.gpu, result.policies.dram, result.policies.ssd, result.seeds.join(' ')];
    for (const [metric, statistics] of Object.entries(result.metrics)) {
      rows.push([...labels, metric, statistics.n, blankIfNull(statistics.mean), blankIfNull(statistics.sd), blankIfNull(statistics.ciLow), blankIfNull(statistics.ciHigh)]);
    }
  }
  return stringify(rows, { header: true, columns });
}

/** A table of the report, rendered both as Markdown and as HTML. */
interface Table {
  header: string[];
  rows: string[][];
}

interface Section {
  heading: string;
  paragraphs: string[];
  tables: Table[];
  plots: PlotFile[];
}

function formatPercent(value: number | null): string {
  return value === null ? 'n/a' : `${(value * 100).toFixed(1)}%`;
}

function halfWidth(statistics: MetricStatistics | undefined): number | null {
  if (statistics?.ciHigh == null || statistics.mean === null) return null;
  return statistics.ciHigh - statistics.mean;
}

function withInterval(statistics: MetricStatistics | undefined, format: (value: number) => string): string {
  if (statistics?.mean == null) return 'n/a';
  const half = halfWidth(statistics);
  return half === null ? format(statistics.mean) : `${format(statistics.mean)} ± ${format(half)}`;
}

function formatFixed(digits: number): (value: number) => string {
  return (value) => value.toFixed(digits);
}

function cellTable(results: SweepResults): Table {
  const axisKeys = results.axes.filter((axis) => axis.key !== 'seed').map((axis) => axis.key);
  const header = [...axisKeys, 'token hit rate', 'GPU', 'DRAM', 'SSD', 'TTFT p50 (ms)', 'TTFT p99 (ms)', 'SSD written (GB)', 'days to SSD endurance'];
  const rows = results.cells.map((cell) => {
    const metric = (path: string) => cell.metrics[path];
    return [
      ...axisKeys.map((key) => formatAxisValue(cell.values[key])),
      withInterval(metric('hitRate.tokens.total'), (value) => formatPercent(value)),
      formatPercent(metric('hitRate.tokens.gpu')?.mean ?? null),
      formatPercent(metric('hitRate.tokens.dram')?.mean ?? null),
      formatPercent(metric('hitRate.tokens.ssd')?.mean ?? null),
      withInterval(metric('ttftMs.p50'), formatFixed(1)),
      withInterval(metric('ttftMs.p99'), formatFixed(0)),
      withInterval(metric('ssd.bytesWritten'), (value) => (value / 1e9).toFixed(1)),
      withInterval(metric('ssd.daysToRatedEndurance'), formatFixed(0)),
    ];
  });
  return { header, rows };
}

/** Builds a table of token hit rate per facet, with one row per series and one column per x value. */
function pivotTables(results: SweepResults): Table[] {
  const { x, series } = results.plots;
  if (x === null || series === null) return [];
  const xAxis = results.axes.find((axis) => axis.key === x) as { values: unknown[] };
  const seriesAxis = results.axes.find((axis) => axis.key === series) as { values: unknown[] };
  const facetKeys = results.axes.filter((axis) => axis.key !== 'seed' && axis.key !== x && axis.key !== series).map((axis) => axis.key);
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

  const facets = new Map<string, CellResult[]>();
  for (const cell of results.cells) {
    const key = JSON.stringify(facetKeys.map((facetKey) => cell.values[facetKey]));
    facets.set(key, [...(facets.get(key) ?? []), cell]);
  }
  return [...facets.values()].map((cells) => {
    const facet = facetKeys.map((key) => `${key} = ${formatAxisValue(cells[0].values[key])}`).join(', ');
    const header = [`${series} \\ ${x}${facet === '' ? '' : ` (${facet})`}`, ...xAxis.values.map(formatAxisValue)];
    const rows = seriesAxis.values.map((seriesValue) => [
      formatAxisValue(seriesValue),
      ...xAxis.values.map((xValue) => {
        const cell = cells.find((candidate) => same(candidate.values[series], seriesValue) && same(candidate.values[x], xValue));
        return withInterval(cell?.metrics['hitRate.tokens.total'], (value) => formatPercent(value));
      }),
    ]);
    return { header, rows };
  });
}

function reportSections(results: SweepResults, plots: PlotFile[]): { title: string; intro: string[]; sections: Section[] } {
  const seeds = results.axes.find((axis) => axis.key === 'seed')?.values.length ?? 1;
  const axes = results.axes.map((axis) => `\`${axis.key}\` (${axis.values.map(formatAxisValue).join(', ')})`).join('; ');
  const intro = [
    `kvtier ${results.kvtierVersion}. ${results.runCount} runs: ${results.cellCount} cells x ${seeds} seed${seeds === 1 ? '' : 's'}. Axes: ${axes}.`,
    'Each value is the mean over the seeds of a cell. The ± gives the half-width of the 95% confidence interval for the mean, ' +
      'mean ± t(0.975, n-1) x s / sqrt(n), with s the sample standard deviation of the n seeds.',
  ];
  const sections: Section[] = [];
  const pivots = pivotTables(results);
  if (pivots.length > 0) {
    sections.push({
      heading: 'Token hit rate',
      paragraphs: ['Share of prompt tokens served from any cache tier (`hitRate.tokens.total`).'],
      tables: pivots,
      plots: [],
    });
  }
  sections.push({
    heading: 'Cells',
    paragraphs: [
      'GPU, DRAM and SSD are the shares of prompt tokens each tier served. Days to SSD endurance is `ssd.daysToRatedEndurance`, ' +
        'n/a where the drive has no endurance rating (set `tiers.ssd.ratedDwpd` and `tiers.ssd.warrantyYears`) or received no writes.',
    ],
    tables: [cellTable(results)],
    plots: [],
  });
  sections.push({ heading: 'Plots', paragraphs: [], tables: [], plots });
  sections.push({
    heading: 'Files',
    paragraphs: [
      '`results.csv` contains every metric of every cell (one row per cell x metric: n, mean, sd, ci95_low, ci95_high). ' +
        '`results.json` contains the same per cell, with the TTFT quantiles. `runs/` contains one record per run with its resolved scenario and summary. ' +
        'Metric definitions: docs/metrics.md in the kvtier repository.',
    ],
    tables: [],
    plots: [],
  });
  return { title: `kvtier sweep: ${results.name}`, intro, sections };
}

function markdownTable(table: Table): string[] {
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  return [
    `| ${table.header.map(escape).join(' | ')} |`,
    `|${table.header.map(() => '---').join('|')}|`,
    ...table.rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ];
}

/** Renders report.md, which links the plots in plots/. */
export function renderSweepMarkdown(results: SweepResults, plots: PlotFile[]): string {
  const { title, intro, sections } = reportSections(results, plots);
  const lines = [`# ${title}`, ''];
  for (const paragraph of intro) lines.push(paragraph, '');
  for (const section of sections) {
    lines.push(`## ${section.heading}`, '');
    for (const paragraph of section.paragraphs) lines.push(paragraph, '');
    for (const table of section.tables) lines.push(...markdownTable(table), '');
    for (const plot of section.plots) lines.push(`![${plot.title}](plots/${plot.file})`, '');
  }
  return lines.join('\n');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Escapes `text` and turns `code` spans into <code> elements. */
function inlineHtml(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

/** Renders report.html: the report's tables with the plots inlined, needing no other file. */
export function renderSweepHtml(results: SweepResults, plots: PlotFile[]): string {
  const { title, intro, sections } = reportSections(results, plots);
  const lines = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    '<style>',
    'body { font-family: Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; }',
    'table { border-collapse: collapse; margin: 1em 0; font-size: 13px; }',
    'th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }',
    'th:first-child, td:first-child { text-align: left; }',
    'th { background: #f3f3f3; }',
    'figure { margin: 1.5em 0; }',
    'code { background: #f3f3f3; padding: 0 3px; }',
    '</style>',
    '</head>',
    '<body>',
    `<h1>${escapeHtml(title)}</h1>`,
  ];
  for (const paragraph of intro) lines.push(`<p>${inlineHtml(paragraph)}</p>`);
  for (const section of sections) {
    lines.push(`<h2>${escapeHtml(section.heading)}</h2>`);
    for (const paragraph of section.paragraphs) lines.push(`<p>${inlineHtml(paragraph)}</p>`);
    for (const table of section.tables) {
      lines.push('<table>', `<tr>${table.header.map((cell) => `<th>${inlineHtml(cell)}</th>`).join('')}</tr>`);
      for (const row of table.rows) lines.push(`<tr>${row.map((cell) => `<td>${inlineHtml(cell)}</td>`).join('')}</tr>`);
      lines.push('</table>');
    }
    for (const plot of section.plots) lines.push('<figure>', plot.svg.trimEnd(), '</figure>');
  }
  lines.push('</body>', '</html>', '');
  return lines.join('\n');
}

/** Parses the run record texts of a complete sweep (index order), aggregates them and writes every report into `dir`. */
export function writeSweepReports(dir: string, manifest: SweepManifest, texts: readonly string[]): string[] {
  const records = texts.map((text) => JSON.parse(text) as SweepRunRecord);
  const results = aggregateSweep(manifest, records);
  const plots = renderSweepPlots(results);
  const files: [string, string][] = [
    ['results.csv', renderResultsCsv(results)],
    ['results.json', toJson(results)],
    ['report.md', renderSweepMarkdown(results, plots)],
    ['report.html', renderSweepHtml(results, plots)],
    ...plots.map((plot): [string, string] => [join('plots', plot.file), plot.svg]),
  ];
  mkdirSync(join(dir, 'plots'), { recursive: true });
  for (const [name, text] of files) writeFileAtomic(join(dir, name), text);
  return files.map(([name]) => join(dir, name));
}
