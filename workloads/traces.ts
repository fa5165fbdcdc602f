// Opening a trace file by format name, for the CLI and the scenario runner.

import { z } from 'zod';

import { AZURE_DEFAULT_BLOCK_TOKENS, AzureTraceReader } from './azure.js';
import { BURSTGPT_DEFAULT_BLOCK_TOKENS, BurstGptTraceReader, DEFAULT_SESSION_GAP_SEC } from './burstgpt.js';
import { KvtierTraceReader } from './kvtier-trace.js';
import { LineReader, TraceError } from './line-reader.js';
import { MooncakeTraceReader } from './mooncake.js';
import { ClosedLoopReplay, OpenLoopTrace, type TraceReader } from './trace-replay.js';
import type { Workload } from './request.js';

export const TRACE_FORMATS = ['mooncake', 'azure', 'burstgpt', 'kvtier'] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];

export interface OpenTraceOptions {
  /** Tokens per block for formats without block ids of their own (Azure, BurstGPT), or Mooncake's block size. */
  blockTokens?: number;
  /** Azure only: leading prompt tokens shared by every request. */
  sharedPrefixTokens?: number;
  /** BurstGPT only: idle seconds after which a session has ended. */
  sessionGapSec?: number;
  skipBadLines?: boolean;
  /** Seed of the block ids kvtier assigns to traces without them. */
  seed?: number | string;
}

/** Returns whether the trace format records block ids; otherwise kvtier assigns them from token counts. */
export function recordsBlockIds(format: TraceFormat): boolean {
  return format === 'mooncake' || format === 'kvtier';
}

/**
 * Guesses the format of the trace at `path` from its first line: a kvtier header, another JSON
 * object (Mooncake), or a CSV header naming Azure's or BurstGPT's columns. Throws `TraceError`
 * when the first line matches none of them.
 */
export function detectTraceFormat(path: string): TraceFormat {
  const reader = new LineReader(path);
  const first = reader.next() ?? '';
  reader.close();
  const line = first.trim();
  if (line.startsWith('{')) return line.includes('"kvtier-trace"') ? 'kvtier' : 'mooncake';
  if (line.includes('ContextTokens')) return 'azure';
  if (line.includes('Request tokens')) return 'burstgpt';
  throw new TraceError(
    path,
    1,
    undefined,
    `cannot tell the trace format from the first line ${JSON.stringify(first.slice(0, 60))}; give the format (${TRACE_FORMATS.join(', ')})`,
  );
}

/** Opens `path` as a trace of `format`; throws `TraceError` when the file cannot be read. */
export function openTrace(path: string, format: TraceFormat, options: OpenTraceOptions = {}): TraceReader {
  switch (format) {
    case 'mooncake':
      return new MooncakeTraceReader(path, { blockTokens: options.blockTokens, skipBadLines: options.skipBadLines });
    case 'azure':
      return new AzureTraceReader(path, options);
    case 'burstgpt':
      return new BurstGptTraceReader(path, options);
    case 'kvtier':
      return new KvtierTraceReader(path, options);
  }
}

/**
 * Opens a trace as a workload. `closedLoop` replays sessions closed-loop, which needs a format
 * with session ids (BurstGPT, or kvtier JSONL whose header declares sessions).
 */
export function openTraceWorkload(path: string, format: TraceFormat, options: OpenTraceOptions & { closedLoop?: boolean } = {}): Workload {
  const reader = openTrace(path, format, options);
  if (options.closedLoop !== true) return new OpenLoopTrace(reader);
  try {
    return new ClosedLoopReplay(reader, (options.sessionGapSec ?? DEFAULT_SESSION_GAP_SEC) * 1e9);
  } catch (error) {
    reader.close();
    throw error;
  }
}

const pathSchema = z.string().min(1).describe('trace file; in a scenario file, relative to that file\'s folder');
const replaySchema = z
  .enum(['open', 'closed'])
  .default('open')
  .describe('open: every row at its recorded instant; closed: later turns at the previous completion plus the recorded think time');
const sessionGapSchema = z
  .number()
  .positive()
  .default(DEFAULT_SESSION_GAP_SEC)
  .describe('a session with no row for longer than this many seconds has ended (default 86400)');

/** Scenario workload section of an Azure LLM inference trace. */
export const azureWorkloadSchema = z.strictObject({
  kind: z.literal('azure'),
  path: pathSchema,
  blockTokens: z.number().int().min(1).default(AZURE_DEFAULT_BLOCK_TOKENS).describe('tokens per KV block (default 256)'),
  sharedPrefixTokens: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('leading prompt tokens shared by every request (default 0: the trace has no reuse information)'),
});

/** Scenario workload section of a BurstGPT trace. */
export const burstGptWorkloadSchema = z.strictObject({
  kind: z.literal('burstgpt'),
  path: pathSchema,
  blockTokens: z.number().int().min(1).default(BURSTGPT_DEFAULT_BLOCK_TOKENS).describe('tokens per KV block (default 256)'),
  replay: replaySchema,
  sessionGapSec: sessionGapSchema,
});

/** Scenario workload section of a kvtier JSONL trace. */
export const kvtierTraceWorkloadSchema = z.strictObject({
  kind: z.literal('kvtier'),
  path: pathSchema,
  blockTokens: z
    .number()
    .int()
    .min(1)
    .default(256)
    .describe("tokens per KV block; must equal the block_tokens of the trace's header (default 256)"),
  replay: replaySchema,
  sessionGapSec: sessionGapSchema,
});

export type TraceWorkloadConfig =
  | z.output<typeof azureWorkloadSchema>
  | z.output<typeof burstGptWorkloadSchema>
  | z.output<typeof kvtierTraceWorkloadSchema>;

/** Opens the trace a validated scenario workload section names; `seed` keys the block ids kvtier assigns. */
export function createTraceWorkload(config: TraceWorkloadConfig, seed: number): Workload {
  switch (config.kind) {
    case 'azure':
      return openTraceWorkload(config.path, 'azure', { blockTokens: config.blockTokens, sharedPrefixTokens: config.sharedPrefixTokens, seed });
    case 'burstgpt':
      return openTraceWorkload(config.path, 'burstgpt', {
        blockTokens: config.blockTokens,
        sessionGapSec: config.sessionGapSec,
        closedLoop: config.replay === 'closed',
        seed,
      });
    case 'kvtier': {
      const workload = openTraceWorkload(config.path, 'kvtier', { sessionGapSec: config.sessionGapSec, closedLoop: config.replay === 'closed', seed });
      if (workload.blockTokens !== config.blockTokens) {
        workload.close();
        throw new TraceError(
          config.path,
          1,
          'block_tokens',
          `the header gives block_tokens ${workload.blockTokens} but the workload's blockTokens is ${config.blockTokens}; set blockTokens to ${workload.blockTokens}`,
        );
      }
      return workload;
    }
  }
}
