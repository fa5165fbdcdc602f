// `kvtier kv-size`: the KV-cache footprint of a model preset for a few sequence lengths, per
// sequence and for a number of concurrent sequences, in bytes and in decimal (MB, GB) and binary
// (MiB, GiB) units. `--list` prints the model presets instead. Building the output is a pure
// function of the arguments (`runKvSize`); the handler only prints it.

import { stringify } from 'csv-stringify/sync';
import type { Argv, CommandModule } from 'yargs';
import { MODELS, getModel, kvBytesPerToken, type ModelSpec } from '../sim/models.js';

/** Invalid kv-size argument. The code makes the CLI exit with status 2. */
export class KvSizeInputError extends Error {
  readonly code = 'ERR_KVTIER_INPUT';

  constructor(message: string) {
    super(message);
    this.name = 'KvSizeInputError';
  }
}

export const KV_SIZE_FORMATS = ['table', 'csv', 'json'] as const;
export type KvSizeFormat = (typeof KV_SIZE_FORMATS)[number];

export const DEFAULT_TOKEN_COUNTS = '100,1000,4000,8192';
export const DEFAULT_SESSIONS = 10;

export interface KvSizeArgs {
  model?: string;
  tokens: string;
  sessions: number;
  format: KvSizeFormat;
  list: boolean;
}

export interface KvSizeRow {
  tokens: number;
  /** KV bytes of one sequence of `tokens` tokens. */
  sequenceBytes: number;
  /** KV bytes of `sessions` such sequences. */
  sessionsBytes: number;
}

export interface KvSizeReport {
  model: string;
  description: string;
  /** The product that gives the bytes per token, for example `2 (K and V) x 80 layers x ...`. */
  formula: string;
  bytesPerToken: number;
  sessions: number;
  rows: KvSizeRow[];
}

/** Builds the text `kvtier kv-size` prints for `args`. Throws an error with code ERR_KVTIER_INPUT on invalid arguments. */
export function runKvSize(args: KvSizeArgs): string {
  if (!KV_SIZE_FORMATS.includes(args.format)) {
    throw new KvSizeInputError(`invalid --format "${String(args.format)}": expected one of ${KV_SIZE_FORMATS.join(', ')}`);
  }
  if (args.list) return renderModelList(MODELS, args.format);

  if (args.model === undefined || args.model === '') {
    throw new KvSizeInputError('missing --model: name a model preset, for example --model llama3.1-70b (see kvtier kv-size --list)');
  }
  const model = getModel(args.model);
  const report = buildKvSizeReport(model, parseTokenCounts(args.tokens), args.sessions);
  return renderKvSizeReport(report, args.format);
}

/** Parses a comma-separated list of sequence lengths such as `100,1000,8192`. */
export function parseTokenCounts(text: string): number[] {
  const parts = String(text).split(',').map((part) => part.trim());
  return parts.map((part) => {
    const tokens = Number(part);
    if (part === '' || !Number.isSafeInteger(tokens) || tokens < 1) {
      throw new KvSizeInputError(`invalid --tokens entry "${part}" in "${text}": expected positive whole numbers separated by commas`);
    }
    return tokens;
  });
}

/** Computes the KV bytes of one sequence and of `sessions` sequences for each length in `tokenCounts`. */
export function buildKvSizeReport(model: ModelSpec, tokenCounts: readonly number[], sessions: number): KvSizeReport {
  if (!Number.isSafeInteger(sessions) || sessions < 1) {
    throw new KvSizeInputError(`invalid --sessions ${sessions}: expected a positive whole number`);
  }
  const bytesPerToken = kvBytesPerToken(model);
  const rows = tokenCounts.map((tokens) => {
    const sequenceBytes = tokens * bytesPerToken;
    const sessionsBytes = sequenceBytes * sessions;
    if (!Number.isSafeInteger(sessionsBytes)) {
      throw new KvSizeInputError(`--tokens ${tokens} x --sessions ${sessions} is too large: the byte count exceeds 2^53`);
    }
    return { tokens, sequenceBytes, sessionsBytes };
  });
  return { model: model.name, description: model.description, formula: describeFormula(model), bytesPerToken, sessions, rows };
}

function describeFormula(model: ModelSpec): string {
  const element = `${model.kvBytesPerElement} B`;
  if (model.attention === 'mla') {
    return `${model.layers} layers x (${model.latentDim} latent + ${model.ropeDim} RoPE) x ${element}`;
  }
  return `2 (K and V) x ${model.layers} layers x ${model.kvHeads} KV heads x ${model.headDim} head dim x ${element}`;
}

/** Renders a report as an aligned table, CSV with a header row, or JSON. */
export function renderKvSizeReport(report: KvSizeReport, format: KvSizeFormat): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  if (format === 'csv') {
    const records = report.rows.map((row) => [report.model, row.tokens, report.bytesPerToken, row.sequenceBytes, report.sessions, row.sessionsBytes]);
    return stringify(records, { header: true, columns: ['model', 'tokens', 'bytes_per_token', 'sequence_bytes', 'sessions', 'sessions_bytes'] });
  }

  const perToken = report.bytesPerToken;
  const sessions = `${report.sessions} sessions`;
  const header = ['tokens', 'sequence bytes', 'sequence', 'sequence (binary)', `${sessions} bytes`, sessions, `${sessions} (binary)`];
  const body = report.rows.map((row) => [
    formatInteger(row.tokens),
    formatInteger(row.sequenceBytes),
    formatDecimalBytes(row.sequenceBytes),
    formatBinaryBytes(row.sequenceBytes),
    formatInteger(row.sessionsBytes),
    formatDecimalBytes(row.sessionsBytes),
    formatBinaryBytes(row.sessionsBytes),
  ]);
  const lines = [
    `model ${report.model}: ${report.description}`,
    `KV bytes per token: ${formatInteger(perToken)} B (${formatDecimalBytes(perToken)}, ${formatBinaryBytes(perToken)}) = ${report.formula}`,
    '',
    ...alignColumns([header, ...body], 0),
  ];
  return `${lines.join('\n')}\n`;
}

export interface ModelListRow {
  name: string;
  attention: ModelSpec['attention'];
  layers: number;
  attentionHeads: number;
  kvHeads: number;
  headDim: number;
  latentDim: number | null;
  ropeDim: number | null;
  parameters: number;
  activeParameters: number;
  kvDtype: string;
  kvBytesPerToken: number;
}

/** Describes each model preset as one row of `kvtier kv-size --list`. */
export function buildModelListRows(models: readonly ModelSpec[]): ModelListRow[] {
  return models.map((model) => ({
    name: model.name,
    attention: model.attention,
    layers: model.layers,
    attentionHeads: model.attentionHeads,
    kvHeads: model.kvHeads,
    headDim: model.headDim,
    latentDim: model.latentDim ?? null,
    ropeDim: model.ropeDim ?? null,
    parameters: model.parameters,
    activeParameters: model.activeParameters,
    kvDtype: describeElementType(model.kvBytesPerElement),
    kvBytesPerToken: kvBytesPerToken(model),
  }));
}

/** Renders the model presets as an aligned table, CSV with a header row, or JSON. */
export function renderModelList(models: readonly ModelSpec[], format: KvSizeFormat): string {
  const rows = buildModelListRows(models);
  if (format === 'json') return `${JSON.stringify(rows, null, 2)}\n`;
  if (format === 'csv') {
    const columns = Object.keys(rows[0]) as Array<keyof ModelListRow>;
    return stringify(
      rows.map((row) => columns.map((column) => row[column] ?? '')),
      { header: true, columns: columns.map(toSnakeCase) },
    );
  }

  const header = ['model', 'attention', 'layers', 'heads', 'KV heads', 'head dim', 'parameters', 'active', 'KV dtype', 'KV bytes/token'];
  const body = rows.map((row) => [
    row.name,
    row.attention,
    String(row.layers),
    String(row.attentionHeads),
    row.attention === 'mla' ? 'latent' : String(row.kvHeads),
    row.attention === 'mla' ? `${row.latentDim}+${row.ropeDim}` : String(row.headDim),
    formatCount(row.parameters),
    formatCount(row.activeParameters),
    row.kvDtype,
    formatInteger(row.kvBytesPerToken),
  ]);
  return `${alignColumns([header, ...body], 2).join('\n')}\n`;
}

function describeElementType(bytesPerElement: number): string {
  if (bytesPerElement === 1) return 'fp8';
  if (bytesPerElement === 2) return 'fp16/bf16';
  if (bytesPerElement === 4) return 'fp32';
  return `${bytesPerElement} B`;
}

function toSnakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** Formats a whole number with thousands separators, for example `2,621,440`. */
export function formatInteger(value: number): string {
  return value.toLocaleString('en-US');
}

/** Formats bytes in decimal units (kB, MB, GB, TB, PB) to four significant digits, for example `262.1 MB`. */
export function formatDecimalBytes(bytes: number): string {
  return formatScaled(bytes, 1000, ['B', 'kB', 'MB', 'GB', 'TB', 'PB']);
}

/** Formats bytes in binary units (KiB, MiB, GiB, TiB, PiB) to four significant digits, for example `2.5 MiB`. */
export function formatBinaryBytes(bytes: number): string {
  return formatScaled(bytes, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']);
}

// Formats a parameter count, for example `68.98B` or `671B`.
function formatCount(count: number): string {
  return `${Number((count / 1e9).toPrecision(4))}B`;
}

function formatScaled(value: number, base: number, units: readonly string[]): string {
  if (Math.abs(value) < base) return `${value} ${units[0]}`;
  let scaled = value;
  let unit = 0;
  // Rounding to four digits can carry into the next unit (999.96 kB becomes 1000 kB), so the
  // loop compares the rounded value.
  while (unit < units.length - 1 && Math.abs(Number(scaled.toPrecision(4))) >= base) {
    scaled /= base;
    unit++;
  }
  return `${Number(scaled.toPrecision(4))} ${units[unit]}`;
}

// Pads each column to its widest cell: the first `leftAligned` columns (names) left-aligned, the
// others (numbers) right-aligned.
function alignColumns(table: string[][], leftAligned: number): string[] {
  const widths = table[0].map((_, column) => Math.max(...table.map((row) => row[column].length)));
  return table.map((row) =>
    row
      .map((cell, column) => (column < leftAligned ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
      .join('  ')
      .trimEnd(),
  );
}

export const kvSizeCommand: CommandModule<object, KvSizeArgs> = {
  command: 'kv-size',
  describe: 'Print the KV-cache size of a model preset per token, per sequence and for concurrent sequences',
  builder: (yargs: Argv) =>
    yargs
      .option('model', { type: 'string', describe: 'Model preset name (see --list)' })
      .option('tokens', {
        type: 'string',
        default: DEFAULT_TOKEN_COUNTS,
        describe: 'Sequence lengths in tokens, separated by commas',
      })
      .option('sessions', {
        type: 'number',
        default: DEFAULT_SESSIONS,
        describe: 'Number of concurrent sequences for the total columns',
      })
      .option('format', { choices: KV_SIZE_FORMATS, default: 'table' as KvSizeFormat, describe: 'Output format' })
      .option('list', { type: 'boolean', default: false, describe: 'List the model presets instead' })
      .example('kvtier kv-size --model llama2-70b-mha', 'the 2.6 MB-per-token arithmetic for 100 to 8,192 tokens')
      .example('kvtier kv-size --list', 'every model preset with its shape and KV bytes per token') as unknown as Argv<KvSizeArgs>,
  handler: (argv) => {
    process.stdout.write(runKvSize(argv));
  },
};
