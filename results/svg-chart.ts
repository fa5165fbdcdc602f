// SVG chart building blocks drawn with d3-scale and d3-shape into strings, with no DOM: the page
// frame, a legend, x positions for axis values, and a line chart with confidence bands.
// Coordinates are rounded to 0.01 px so that the output does not depend on floating-point noise
// below that.

import { scaleLinear, scaleLog, scalePoint } from 'd3-scale';
import { area, line } from 'd3-shape';
import type { MetricStatistics } from './statistics.js';

// Okabe and Ito's colour-blind-safe palette (without its yellow, too faint on white), then more.
const SERIES_COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#999999', '#882255', '#44AA99'];
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

/** Space around the plotting area of a chart, in px: title above, legend to the right. */
export const MARGIN = { top: 52, right: 190, bottom: 62, left: 78 };
export const CHART_WIDTH = 560;
export const CHART_HEIGHT = 330;

/** Rounds a coordinate to 0.01 px. */
export function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Escapes text for an XML element or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Formats a tick label with at most three significant digits, in exponent form outside [0.001, 1e6). */
export function formatNumber(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-3) return value.toExponential(1).replace('e+', 'e');
  if (magnitude >= 100) return value.toFixed(0);
  return String(Number(value.toPrecision(3)));
}

/** One series of a chart: a label and a colour, with a dash pattern once the colours run out. */
export interface SeriesStyle {
  label: string;
  color: string;
  dash: string | null;
}

/** Returns the style of the series at `position`: the palette in order, then again with dashes. */
export function seriesStyle(label: string, position: number): SeriesStyle {
  const cycle = Math.floor(position / SERIES_COLORS.length);
  const dash = cycle === 0 ? null : ['6 3', '2 3', '8 3 2 3'][(cycle - 1) % 3];
  return { label, color: SERIES_COLORS[position % SERIES_COLORS.length], dash };
}

/** Wraps chart elements in an SVG document with a white background, a title and a subtitle. */
export function svgDocument(width: number, height: number, title: string, subtitle: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    subtitle === '' ? '' : `<text x="${MARGIN.left}" y="40" fill="#555555">${escapeXml(subtitle)}</text>`,
    ...body,
    '</svg>',
    '',
  ]
    .filter((line) => line !== '')
    .join('\n');
}

/** Draws a legend of line samples and labels, one row per series, from (x, y) down. */
export function legend(styles: readonly SeriesStyle[], x: number, y: number): string[] {
  const lines: string[] = [];
  styles.forEach((style, position) => {
    const top = y + position * 18;
    const dash = style.dash === null ? '' : ` stroke-dasharray="${style.dash}"`;
    lines.push(`<line x1="${x}" y1="${top}" x2="${x + 22}" y2="${top}" stroke="${style.color}" stroke-width="2.5"${dash}/>`);
    lines.push(`<text x="${x + 28}" y="${top + 4}">${escapeXml(style.label)}</text>`);
  });
  return lines;
}

/** Places an axis's values: on a log or linear scale when they are positive numbers, evenly spaced otherwise. */
export function xPositions(settings: readonly unknown[], width: number): number[] {
  const numbers = settings.every((value) => typeof value === 'number' && Number.isFinite(value) && value > 0) ? (settings as number[]) : null;
  if (numbers !== null && settings.length > 1) {
    const low = Math.min(...numbers);
    const high = Math.max(...numbers);
    if (high > low) {
      const scale = high / low >= 8 ? scaleLog().base(2).domain([low, high]) : scaleLinear().domain([low, high]);
      scale.range([width * 0.05, width * 0.95]);
      return numbers.map((value) => round(scale(value)));
    }
  }
  const point = scalePoint<number>()
    .domain(settings.map((_, index) => index))
    .range([0, width])
    .padding(0.5);
  return settings.map((_, index) => round(point(index) as number));
}

/** A point of a line chart: its x position in px and the statistics of its y value. */
export interface LinePoint {
  x: number;
  statistics: MetricStatistics | null;
}

export interface LineChartSpec {
  title: string;
  subtitle: string;
  xLabel: string;
  xTicks: { position: number; label: string }[];
  yLabel: string;
  formatY: (value: number) => string;
  /** Fixed y domain. Without it the domain fits the data's means and interval ends. */
  yDomain?: [number, number];
  logY?: boolean;
  series: { style: SeriesStyle; points: LinePoint[] }[];
}

function yScaleFor(spec: LineChartSpec, values: number[]) {
  if (spec.logY) {
    const positive = values.filter((value) => value > 0);
    const low = positive.length === 0 ? 1 : Math.min(...positive);
    const high = positive.length === 0 ? 10 : Math.max(...positive);
    return scaleLog()
      .domain([low, high > low ? high : low * 10])
      .range([CHART_HEIGHT, 0])
      .nice();
  }
  const domain = spec.yDomain ?? [Math.min(0, ...values), values.length === 0 ? 1 : Math.max(...values)];
  if (domain[1] <= domain[0]) domain[1] = domain[0] + 1;
  return scaleLinear().domain(domain).range([CHART_HEIGHT, 0]).nice();
}

/** Renders a line chart: a line of means per series, with a band from ciLow to ciHigh where both exist. */
export function renderLineChart(spec: LineChartSpec): string {
  const values: number[] = [];
  for (const { points } of spec.series) {
    for (const { statistics } of points) {
      for (const value of [statistics?.mean, statistics?.ciLow, statistics?.ciHigh]) if (typeof value === 'number' && Number.isFinite(value)) values.push(value);
    }
  }
  const y = yScaleFor(spec, values);
  // Values outside the domain (an interval reaching below 0 or above a fixed maximum) are drawn at its edge.
  const [yLow, yHigh] = y.domain();
  const clampY = (value: number) => round(y(Math.min(Math.max(value, yLow), yHigh)));
  const body: string[] = [`<g transform="translate(${MARGIN.left},${MARGIN.top})">`];

  // Grid and y axis.
  const yTicks = y.ticks(6);
  const yTickLabel = spec.logY ? y.tickFormat(6) : null;
  for (const tick of yTicks) {
    const label = yTickLabel === null ? spec.formatY(tick) : yTickLabel(tick) === '' ? '' : spec.formatY(tick);
    body.push(`<line x1="0" x2="${CHART_WIDTH}" y1="${round(y(tick))}" y2="${round(y(tick))}" stroke="#e5e5e5"/>`);
    if (label !== '') body.push(`<text x="-8" y="${round(y(tick)) + 4}" text-anchor="end">${escapeXml(label)}</text>`);
  }
  body.push(`<line x1="0" x2="0" y1="0" y2="${CHART_HEIGHT}" stroke="#333333"/>`);
  body.push(`<line x1="0" x2="${CHART_WIDTH}" y1="${CHART_HEIGHT}" y2="${CHART_HEIGHT}" stroke="#333333"/>`);
  for (const tick of spec.xTicks) {
    body.push(`<line x1="${tick.position}" x2="${tick.position}" y1="${CHART_HEIGHT}" y2="${CHART_HEIGHT + 5}" stroke="#333333"/>`);
    body.push(`<text x="${tick.position}" y="${CHART_HEIGHT + 19}" text-anchor="middle">${escapeXml(tick.label)}</text>`);
  }
  body.push(`<text x="${CHART_WIDTH / 2}" y="${CHART_HEIGHT + 44}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`);
  body.push(`<text transform="translate(-58,${CHART_HEIGHT / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`);

  const band = area<LinePoint>()
    .defined((point) => point.statistics?.ciLow != null && point.statistics?.ciHigh != null)
    .x((point) => point.x)
    .y0((point) => clampY(point.statistics?.ciLow as number))
    .y1((point) => clampY(point.statistics?.ciHigh as number))
    .digits(2);
  const path = line<LinePoint>()
    .defined((point) => point.statistics?.mean != null)
    .x((point) => point.x)
    .y((point) => clampY(point.statistics?.mean as number))
    .digits(2);
  for (const { style, points } of spec.series) {
    const bandPath = band(points);
    if (bandPath !== null && bandPath !== '') body.push(`<path d="${bandPath}" fill="${style.color}" fill-opacity="0.15" stroke="none"/>`);
  }
  for (const { style, points } of spec.series) {
    const linePath = path(points);
    const dash = style.dash === null ? '' : ` stroke-dasharray="${style.dash}"`;
    if (linePath !== null && linePath !== '') body.push(`<path d="${linePath}" fill="none" stroke="${style.color}" stroke-width="2"${dash}/>`);
    // A lone point has no band, so its interval is drawn as a whisker.
    const lone = points.filter((point) => point.statistics?.mean != null).length === 1;
    for (const point of points) {
      const statistics = point.statistics;
      if (statistics?.mean == null) continue;
      if (lone && statistics.ciLow !== null && statistics.ciHigh !== null) {
        body.push(`<line x1="${point.x}" x2="${point.x}" y1="${clampY(statistics.ciLow)}" y2="${clampY(statistics.ciHigh)}" stroke="${style.color}" stroke-width="1.5"/>`);
      }
      body.push(`<circle cx="${point.x}" cy="${clampY(statistics.mean)}" r="3" fill="${style.color}"/>`);
    }
  }
  body.push(...legend(spec.series.map((series) => series.style), CHART_WIDTH + 24, 8));
  body.push('</g>');
  return svgDocument(MARGIN.left + CHART_WIDTH + MARGIN.right, MARGIN.top + CHART_HEIGHT + MARGIN.bottom, spec.title, spec.subtitle, body);
}
