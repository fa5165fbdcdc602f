// Miss-ratio curves: the miss ratio of each policy against the cache size, as a tidy CSV and as an
// SVG line plot with a logarithmic size axis. The sizes are log-spaced between 0.1% and 100% of the
// working set, where a cache of the whole working set misses only on first requests.

import { stringify } from 'csv-stringify/sync';

/** One point of a curve: a cache size and the counts measured there. */
export interface MissRatioPoint {
  policy: string;
  cacheSize: number;
  requests: number;
  misses: number;
  bytesRequested: number;
  bytesMissed: number;
}

/** Returns up to `count` distinct integer sizes, log-spaced from 0.1% to 100% of `workingSet`, ascending. */
export function logSpacedSizes(workingSet: number, count: number): number[] {
  if (!Number.isSafeInteger(count) || count < 2) throw new RangeError(`count must be an integer of at least 2, received ${count}`);
  const sizes = new Set<number>();
  for (let index = 0; index < count; index++) {
    const share = 10 ** (-3 + (3 * index) / (count - 1));
    sizes.add(Math.max(1, Math.floor(workingSet * share)));
  }
  return [...sizes].sort((a, b) => a - b);
}

/** Renders the points as CSV: policy, cache_size, miss_ratio, byte_miss_ratio. */
export function renderMissRatioCsv(points: readonly MissRatioPoint[]): string {
  const rows = points.map((point) => ({
    policy: point.policy,
    cache_size: point.cacheSize,
    miss_ratio: point.requests === 0 ? 0 : point.misses / point.requests,
    byte_miss_ratio: point.bytesRequested === 0 ? 0 : point.bytesMissed / point.bytesRequested,
  }));
  return stringify(rows, { header: true, columns: ['policy', 'cache_size', 'miss_ratio', 'byte_miss_ratio'] });
}

const WIDTH = 720;
const HEIGHT = 440;
const MARGIN = { top: 20, right: 220, bottom: 50, left: 60 };
// The Tableau 10 palette.
const COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** Renders one line per policy of miss ratio (0 to 1) against cache size on a log axis, labelled with `sizeUnit`. */
export function renderMissRatioSvg(points: readonly MissRatioPoint[], sizeUnit: string): string {
  const policies = [...new Set(points.map((point) => point.policy))];
  const sizes = points.map((point) => point.cacheSize);
  const minLog = Math.floor(Math.log10(Math.min(...sizes)));
  const maxLog = Math.ceil(Math.log10(Math.max(...sizes)));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (size: number) => MARGIN.left + ((Math.log10(size) - minLog) / Math.max(1, maxLog - minLog)) * plotWidth;
  const y = (ratio: number) => MARGIN.top + (1 - ratio) * plotHeight;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
  ];

  for (let power = minLog; power <= maxLog; power++) {
    const position = x(10 ** power).toFixed(1);
    parts.push(`<line x1="${position}" x2="${position}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="#ddd"/>`);
    parts.push(`<text x="${position}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle">1e${power}</text>`);
  }
  for (let tick = 0; tick <= 10; tick += 2) {
    const position = y(tick / 10).toFixed(1);
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${position}" y2="${position}" stroke="#ddd"/>`);
    parts.push(`<text x="${MARGIN.left - 8}" y="${position}" text-anchor="end" dominant-baseline="middle">${(tick / 10).toFixed(1)}</text>`);
  }
  parts.push(`<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 10}" text-anchor="middle">cache size (${escapeXml(sizeUnit)}, log scale)</text>`);
  parts.push(`<text transform="translate(16 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">miss ratio</text>`);

  policies.forEach((policy, index) => {
    const colour = COLOURS[index % COLOURS.length];
    const line = points
      .filter((point) => point.policy === policy)
      .sort((a, b) => a.cacheSize - b.cacheSize)
      .map((point) => `${x(point.cacheSize).toFixed(1)},${y(point.requests === 0 ? 0 : point.misses / point.requests).toFixed(1)}`)
      .join(' ');
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${line}"/>`);
    const legendY = MARGIN.top + 10 + index * 18;
    const legendX = MARGIN.left + plotWidth + 16;
    parts.push(`<line x1="${legendX}" x2="${legendX + 20}" y1="${legendY}" y2="${legendY}" stroke="${colour}" stroke-width="2"/>`);
    parts.push(`<text x="${legendX + 26}" y="${legendY}" dominant-baseline="middle">${escapeXml(policy)}</text>`);
  });

  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
