// Parsing and formatting of sizes in bytes: `16GB` (decimal units), `64GiB` (binary units),
// `3.84TB`, or a plain number of bytes.

const BYTE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** Parses a size in bytes; returns NaN when the text is not a size. */
export function parseBytes(value: number | string): number {
  if (typeof value === 'number') return value;
  const match = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-z]*)\s*$/i.exec(value);
  if (match === null) return Number.NaN;
  const unit = match[2].toLowerCase() || 'b';
  const scale = BYTE_UNITS[unit];
  if (scale === undefined) return Number.NaN;
  return Math.round(Number(match[1]) * scale);
}

/** Formats bytes with a decimal unit, for example `16.0 GB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)} ${units[unit]}`;
}
