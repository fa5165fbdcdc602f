// SVG plots of a sweep's results, drawn with d3-scale and d3-shape into strings (no DOM):
//
//   hit-rate.svg       token hit rate against the x axis, one line per series, 95% confidence band
//   ttft-cdf.svg       TTFT distribution per series, one panel per x value
//   tier-shares.svg    token hit rate split by tier (GPU, DRAM, SSD), stacked bars per series and x
//   ssd-written.svg    bytes written into the SSD tier against the x axis, with confidence band
//   ssd-endurance.svg  days until the SSD's rated endurance is used up (ssd.daysToRatedEndurance)
//
// The x axis and the series are the sweep's `plots.x` and `plots.series` axes. When the sweep has
// other axes besides those and the seed, each combination of their values gets its own set of
// files, suffixed -1, -2 and so on in cell order.

import { scaleBand, scaleLinear, scaleLog } from 'd3-scale';
import { line, stack } from 'd3-shape';
import type { CellResult, SweepResults } from './sweep-aggregate.js';
import {
  CHART_HEIGHT,
  CHART_WIDTH,
  escapeXml,
  formatNumber,
  legend,
  MARGIN,
  renderLineChart,
  round,
  seriesStyle,
  svgDocument,
  xPositions,
  type LineChartSpec,
  type SeriesStyle,
} from './svg-chart.js';

export interface PlotFile {
  /** File name inside the sweep folder's plots/ folder. */
  file: string;
  title: string;
  svg: string;
}

const TIER_COLORS: Record<'gpu' | 'dram' | 'ssd', string> = { gpu: '#0072B2', dram: '#E69F00', ssd: '#009E73' };

/** Formats an axis value as written in the sweep file. */
export function formatAxisValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The cells of one facet laid out on the x axis and the series. */
interface FacetLayout {
  label: string;
  xLabel: string;
  xValues: unknown[];
  xSettings: unknown[];
  series: SeriesStyle[];
  seriesValues: unknown[];
  cellAt: (series: number, x: number) => CellResult | undefined;
}

function facetLayouts(results: SweepResults): FacetLayout[] {
  const { x: xKey, series: seriesKey } = results.plots;
  const xAxis = results.axes.find((axis) => axis.key === xKey);
  const seriesAxis = results.axes.find((axis) => axis.key === seriesKey);
  const facetAxes = results.axes.filter((axis) => axis.key !== 'seed' && axis.key !== xKey && axis.key !== seriesKey);
  const xValues = xAxis?.values ?? [null];
  const seriesValues = seriesAxis?.values ?? [null];
  const styles = seriesValues.map((value, position) => seriesStyle(seriesAxis ? formatAxisValue(value) : results.name, position));
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

  const facets = new Map<string, CellResult[]>();
  for (const cell of results.cells) {
    const key = JSON.stringify(facetAxes.map((axis) => cell.values[axis.key]));
    const list = facets.get(key);
    if (list === undefined) facets.set(key, [cell]);
    else list.push(cell);
  }

  return [...facets.values()].map((cells) => {
    const find = (series: number, x: number) =>
      cells.find(
        (cell) => (seriesKey === null || same(cell.values[seriesKey], seriesValues[series])) && (xKey === null || same(cell.values[xKey], xValues[x])),
      );
    const xSettings = xValues.map((value) => {
      if (xKey === null) return null;
      const cell = cells.find((candidate) => same(candidate.values[xKey], value));
      return cell?.settings[xKey] ?? null;
    });
    return {
      label: facetAxes.map((axis) => `${axis.key} = ${formatAxisValue(cells[0].values[axis.key])}`).join(', '),
      xLabel: xKey ?? '',
      xValues,
      xSettings,
      series: styles,
      seriesValues,
      cellAt: find,
    };
  });
}

function lineChartOf(results: SweepResults, layout: FacetLayout, metric: string, options: Omit<LineChartSpec, 'xLabel' | 'xTicks' | 'series'>): string {
  if (results.plots.x === null) {
    // Without an x axis each series is one point, spread along the x axis by series.
    const positions = xPositions(layout.series.map((style) => style.label), CHART_WIDTH);
    const xTicks = layout.series.map((style, index) => ({ position: positions[index], label: style.label }));
    const series = layout.series.map((style, index) => ({
      style,
      points: [{ x: positions[index], statistics: layout.cellAt(index, 0)?.metrics[metric] ?? null }],
    }));
    return renderLineChart({ ...options, xLabel: results.plots.series ?? '', xTicks, series });
  }

  const positions = xPositions(layout.xSettings, CHART_WIDTH);
  const xTicks = layout.xValues.map((value, index) => ({ position: positions[index], label: formatAxisValue(value) }));
  const series = layout.series.map((style, seriesIndex) => ({
    style,
    points: layout.xValues.map((_, xIndex) => ({ x: positions[xIndex], statistics: layout.cellAt(seriesIndex, xIndex)?.metrics[metric] ?? null })),
  }));
  return renderLineChart({ ...options, xLabel: layout.xLabel, xTicks, series });
}

function renderTtftCdf(results: SweepResults, layout: FacetLayout, subtitle: string): string {
  const panelWidth = 280;
  const panelHeight = 200;
  const gapX = 70;
  const gapY = 80;
  const columns = Math.min(layout.xValues.length, 3);
  const rows = Math.ceil(layout.xValues.length / columns);
  const levels = results.ttftQuantileLevels;

  const all: number[] = [];
  for (let s = 0; s < layout.series.length; s++) {
    for (let x = 0; x < layout.xValues.length; x++) {
      for (const value of layout.cellAt(s, x)?.ttftQuantilesMs ?? []) if (value !== null && value > 0) all.push(value);
    }
  }
  const low = all.length === 0 ? 1 : Math.min(...all);
  const high = all.length === 0 ? 10 : Math.max(...all);
  const x = scaleLog()
    .domain([low, high > low ? high : low * 10])
    .range([0, panelWidth])
    .nice();
  const y = scaleLinear().domain([0, 1]).range([panelHeight, 0]);
  const xTicks = x.ticks(4);
  const xTickLabel = x.tickFormat(4);

  const body: string[] = [];
  layout.xValues.forEach((value, xIndex) => {
    const left = MARGIN.left + (xIndex % columns) * (panelWidth + gapX);
    // 24 px more than the other charts leave room for the panel headings under the subtitle.
    const top = MARGIN.top + 24 + Math.floor(xIndex / columns) * (panelHeight + gapY);
    body.push(`<g transform="translate(${left},${top})">`);
    for (const level of [0, 0.25, 0.5, 0.75, 1]) {
      body.push(`<line x1="0" x2="${panelWidth}" y1="${round(y(level))}" y2="${round(y(level))}" stroke="#e5e5e5"/>`);
      body.push(`<text x="-6" y="${round(y(level)) + 4}" text-anchor="end">${level}</text>`);
    }
    for (const tick of xTicks) {
      if (xTickLabel(tick) === '') continue;
      body.push(`<line x1="${round(x(tick))}" x2="${round(x(tick))}" y1="${panelHeight}" y2="${panelHeight + 4}" stroke="#333333"/>`);
      body.push(`<text x="${round(x(tick))}" y="${panelHeight + 17}" text-anchor="middle">${formatNumber(tick)}</text>`);
    }
    body.push(`<line x1="0" x2="0" y1="0" y2="${panelHeight}" stroke="#333333"/>`);
    body.push(`<line x1="0" x2="${panelWidth}" y1="${panelHeight}" y2="${panelHeight}" stroke="#333333"/>`);
    const heading = results.plots.x === null ? 'all runs' : `${results.plots.x} = ${formatAxisValue(value)}`;
    body.push(`<text x="0" y="-8" font-weight="bold">${escapeXml(heading)}</text>`);
    body.push(`<text x="${panelWidth / 2}" y="${panelHeight + 34}" text-anchor="middle">TTFT (ms, log scale)</text>`);

    const cdf = line<[number, number]>()
      .x((point) => round(x(point[0])))
      .y((point) => round(y(point[1])))
      .digits(2);
    layout.series.forEach((style, seriesIndex) => {
      const quantiles = layout.cellAt(seriesIndex, xIndex)?.ttftQuantilesMs ?? [];
      const points = quantiles.flatMap((quantile, level): [number, number][] => (quantile !== null && quantile > 0 ? [[quantile, levels[level]]] : []));
      const pathText = cdf(points);
      const dash = style.dash === null ? '' : ` stroke-dasharray="${style.dash}"`;
      if (pathText !== null && pathText !== '') body.push(`<path d="${pathText}" fill="none" stroke="${style.color}" stroke-width="1.8"${dash}/>`);
    });
    body.push('</g>');
  });
  const width = MARGIN.left + columns * panelWidth + (columns - 1) * gapX + MARGIN.right;
  const height = MARGIN.top + 24 + rows * panelHeight + (rows - 1) * gapY + MARGIN.bottom;
  body.push(`<g transform="translate(${width - MARGIN.right + 24},${MARGIN.top + 32})">`, ...legend(layout.series, 0, 0), '</g>');
  return svgDocument(width, height, 'TTFT distribution (cumulative share of requests)', subtitle, body);
}

function renderTierShares(results: SweepResults, layout: FacetLayout, subtitle: string): string {
  const tiers = ['gpu', 'dram', 'ssd'] as const;
  const group = scaleBand<number>()
    .domain(layout.xValues.map((_, index) => index))
    .range([0, CHART_WIDTH])
    .paddingInner(0.18)
    .paddingOuter(0.06);
  const bar = scaleBand<number>()
    .domain(layout.series.map((_, index) => index))
    .range([0, group.bandwidth()])
    .padding(0.12);
  const bars: { x: number; label: string; gpu: number; dram: number; ssd: number }[] = [];
  layout.xValues.forEach((_, xIndex) => {
    layout.series.forEach((style, seriesIndex) => {
      const cell = layout.cellAt(seriesIndex, xIndex);
      if (cell === undefined) return;
      const share = (tier: string) => cell.metrics[`hitRate.tokens.${tier}`]?.mean ?? 0;
      bars.push({ x: (group(xIndex) as number) + (bar(seriesIndex) as number), label: style.label, gpu: share('gpu'), dram: share('dram'), ssd: share('ssd') });
    });
  });
  const maxTotal = Math.max(0.01, ...bars.map((entry) => entry.gpu + entry.dram + entry.ssd));
  const y = scaleLinear().domain([0, maxTotal]).range([CHART_HEIGHT, 0]).nice();
  const stacked = stack<(typeof bars)[number], (typeof tiers)[number]>().keys(tiers)(bars);

  const body: string[] = [`<g transform="translate(${MARGIN.left},${MARGIN.top})">`];
  for (const tick of y.ticks(6)) {
    body.push(`<line x1="0" x2="${CHART_WIDTH}" y1="${round(y(tick))}" y2="${round(y(tick))}" stroke="#e5e5e5"/>`);
    body.push(`<text x="-8" y="${round(y(tick)) + 4}" text-anchor="end">${Math.round(tick * 100)}%</text>`);
  }
  for (const layer of stacked) {
    for (const [index, segment] of layer.entries()) {
      const top = round(y(segment[1]));
      const height = round(y(segment[0]) - y(segment[1]));
      if (height <= 0) continue;
      body.push(`<rect x="${round(bars[index].x)}" y="${top}" width="${round(bar.bandwidth())}" height="${height}" fill="${TIER_COLORS[layer.key]}"/>`);
    }
  }
  for (const entry of bars) {
    const centre = round(entry.x + bar.bandwidth() / 2);
    body.push(`<text transform="translate(${centre},${CHART_HEIGHT + 6}) rotate(60)" font-size="9">${escapeXml(entry.label)}</text>`);
  }
  body.push(`<line x1="0" x2="0" y1="0" y2="${CHART_HEIGHT}" stroke="#333333"/>`);
  body.push(`<line x1="0" x2="${CHART_WIDTH}" y1="${CHART_HEIGHT}" y2="${CHART_HEIGHT}" stroke="#333333"/>`);
  layout.xValues.forEach((value, xIndex) => {
    if (results.plots.x === null) return;
    const centre = round((group(xIndex) as number) + group.bandwidth() / 2);
    body.push(`<text x="${centre}" y="${CHART_HEIGHT + 58}" text-anchor="middle" font-weight="bold">${escapeXml(formatAxisValue(value))}</text>`);
  });
  body.push(`<text x="${CHART_WIDTH / 2}" y="${CHART_HEIGHT + 78}" text-anchor="middle">${escapeXml(layout.xLabel)}</text>`);
  body.push(`<text transform="translate(-58,${CHART_HEIGHT / 2}) rotate(-90)" text-anchor="middle">share of prompt tokens served (mean over seeds)</text>`);
  tiers.forEach((tier, position) => {
    body.push(`<rect x="${CHART_WIDTH + 24}" y="${position * 18}" width="14" height="12" fill="${TIER_COLORS[tier]}"/>`);
    body.push(`<text x="${CHART_WIDTH + 44}" y="${position * 18 + 10}">${tier.toUpperCase()}</text>`);
  });
  body.push('</g>');
  return svgDocument(MARGIN.left + CHART_WIDTH + MARGIN.right, MARGIN.top + CHART_HEIGHT + MARGIN.bottom + 30, 'Token hits by tier', subtitle, body);
}

/** Renders every plot of a sweep, one set per facet. */
export function renderSweepPlots(results: SweepResults): PlotFile[] {
  const files: PlotFile[] = [];
  const layouts = facetLayouts(results);
  const seeds = results.cells[0]?.seeds.length ?? 0;
  layouts.forEach((layout, position) => {
    const suffix = layouts.length === 1 ? '' : `-${position + 1}`;
    const facet = layout.label === '' ? '' : `${layout.label}; `;
    const band = seeds > 1 ? `mean of ${seeds} seeds with 95% confidence band` : 'one seed per point';
    const subtitle = `${facet}${band}`;
    const add = (name: string, title: string, svg: string) => files.push({ file: `${name}${suffix}.svg`, title: `${title}${layout.label === '' ? '' : ` (${layout.label})`}`, svg });

    add(
      'hit-rate',
      'Token hit rate',
      lineChartOf(results, layout, 'hitRate.tokens.total', {
        title: 'Token hit rate (all tiers)',
        subtitle,
        yLabel: 'prompt tokens served from cache',
        formatY: (value) => `${Math.round(value * 100)}%`,
        yDomain: [0, 1],
      }),
    );
    add('ttft-cdf', 'TTFT distribution', renderTtftCdf(results, layout, `${facet}quantiles averaged over seeds`));
    add('tier-shares', 'Token hits by tier', renderTierShares(results, layout, `${facet}mean over seeds`));
    add(
      'ssd-written',
      'SSD bytes written',
      lineChartOf(results, layout, 'ssd.bytesWritten', {
        title: 'Bytes written into the SSD tier',
        subtitle,
        yLabel: 'SSD writes (GB)',
        formatY: (value) => formatNumber(value / 1e9),
      }),
    );
    add(
      'ssd-endurance',
      'SSD days to rated endurance',
      lineChartOf(results, layout, 'ssd.daysToRatedEndurance', {
        title: 'Days until the SSD reaches its rated endurance',
        subtitle: `${subtitle}; device write amplification included`,
        yLabel: 'days (log scale)',
        formatY: formatNumber,
        logY: true,
      }),
    );
  });
  return files;
}
