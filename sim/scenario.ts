// The scenario: every setting of one run, as a zod schema with defaults. A scenario file, the
// embedded default and command-line flags are merged, then validated here as a whole before any
// simulation state exists. Each invalid value is reported with its key, the value received and the
// form expected.

import { z } from 'zod';
import { parseAdmission } from '../policies/admission.js';
import { parsePolicySpec } from '../policies/registry.js';
import { syntheticWorkloadSchema } from '../workloads/synthetic.js';
import { azureWorkloadSchema, burstGptWorkloadSchema, kvtierTraceWorkloadSchema } from '../workloads/traces.js';
import { parseBytes } from './units.js';

/** Invalid scenario. The CLI exits with status 2 on errors whose `code` is ERR_KVTIER_INPUT. */
export class ScenarioError extends Error {
  readonly code = 'ERR_KVTIER_INPUT';

  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

const SIZE_EXPECTED = 'expected a size in bytes such as 64GiB, 16GB or 1e9';

const sizeSchema = z.union([z.number(), z.string()], { error: SIZE_EXPECTED }).transform((value, context) => {
  const bytes = parseBytes(value);
  if (!Number.isFinite(bytes) || bytes < 0) {
    context.addIssue({ code: 'custom', message: SIZE_EXPECTED });
    return z.NEVER;
  }
  return bytes;
});

const sizeOrAutoSchema = z.union([z.literal('auto'), sizeSchema], { error: `${SIZE_EXPECTED}, or auto` });

const policySchema = z.string().superRefine((value, context) => {
  try {
    parsePolicySpec(value);
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

const writeModeSchema = z.enum(['write-back', 'write-through', 'write-selective']);

const admissionSchema = z.string().superRefine((value, context) => {
  try {
    parseAdmission(value);
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

const tierFields = {
  /** Capacity in bytes; `auto` derives it (GPU: the free HBM that running requests leave; SSD: the drive's capacity). */
  capacity: sizeOrAutoSchema.default('auto'),
  policy: policySchema.default('lru'),
  writeMode: writeModeSchema.default('write-back'),
  writeSelectiveHits: z.number().int().min(1).default(2),
  exclusive: z.boolean().default(false),
};

export const scenarioSchema = z
  .object({
    name: z.string().min(1).default('default'),
    seed: z.number().int().min(0).max(2 ** 32 - 1).default(1),
    kvtierVersion: z.string().optional(),
    model: z
      .object({
        preset: z.string().default('llama3.1-70b-fp8'),
        weightBytesPerParameter: z.number().positive().optional(),
        kvBytesPerElement: z.number().positive().optional(),
      })
      .strict()
      .prefault({}),
    gpu: z
      .object({
        preset: z.string().default('h200'),
        tensorParallel: z.number().int().min(1).max(64).default(1),
        memoryUtilization: z.number().gt(0).max(1).default(0.9),
        prefillUtilization: z.number().gt(0).max(1).default(0.5),
        decodeBandwidthUtilization: z.number().gt(0).max(1).default(0.8),
      })
      .strict()
      .prefault({}),
    link: z.object({ preset: z.string().default('pcie5-x16') }).strict().prefault({}),
    tiers: z
      .object({
        gpu: z.object(tierFields).strict().prefault({}),
        dram: z
          .object({
            ...tierFields,
            enabled: z.boolean().default(true),
            device: z.string().default('ddr5-host'),
            /** Admission of blocks offered from the GPU tier: always, after(n=N) offers, or multi-turn. */
            admission: admissionSchema.default('always'),
          })
          .strict()
          .prefault({}),
        ssd: z
          .object({
            ...tierFields,
            enabled: z.boolean().default(true),
            /** An NVMe preset name, or the path of a fitted profile (a `.json` file from `kvtier calibrate`). */
            device: z.string().default('pblaze7-7a40'),
            count: z.number().int().min(1).max(64).default(1),
            /** Admission of blocks offered from the tier above: always, after(n=N) offers, or multi-turn. */
            admission: admissionSchema.default('always'),
            /** Rated endurance of the drive, overriding the preset's: drive writes per day over `warrantyYears`. */
            ratedDwpd: z.number().positive().optional(),
            warrantyYears: z.number().positive().optional(),
            /** Loads from the SSD go straight to GPU memory (GPU-direct storage), skipping the host link. */
            gpuDirect: z.boolean().default(false),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    scheduler: z
      .object({
        maxBatchRequests: z.number().int().min(1).max(65536).default(256),
        /** Prefill token budget per GPU step, decode tokens included; 0 prefills whole prompts in one step. */
        chunkTokens: z.number().int().min(0).default(0),
      })
      .strict()
      .prefault({}),
    loadRule: z.enum(['cheaper', 'always', 'never']).default('cheaper'),
    overlap: z.enum(['layerwise', 'none']).default('layerwise'),
    slo: z
      .object({
        ttftMs: z.number().positive().default(2000),
        tpotMs: z.number().positive().default(100),
      })
      .strict()
      .prefault({}),
    record: z
      .object({
        /** Write timeseries.csv, one row per simulated minute. */
        timeSeries: z.boolean().default(true),
        /** Write requests.csv, one row per completed request. */
        requests: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    workload: z
      .discriminatedUnion('kind', [
        syntheticWorkloadSchema.extend({ kind: z.literal('synthetic') }).strict(),
        z
          .object({
            kind: z.literal('mooncake'),
            path: z.string().min(1),
            blockTokens: z.number().int().min(1).default(512),
          })
          .strict(),
        azureWorkloadSchema,
        burstGptWorkloadSchema,
        kvtierTraceWorkloadSchema,
      ])
      .prefault({ kind: 'synthetic' }),
  })
  .strict();

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;

/** Validates a merged scenario; `source` names where it came from in error messages. */
export function parseScenario(input: unknown, source: string): Scenario {
  const result = scenarioSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const path = issue.path.join('.');
    const received = issue.code === 'unrecognized_keys' ? undefined : valueAt(input, issue.path);
    // JSON.stringify shows NaN (a flag that was not a number) as null; String shows it as NaN.
    const text = typeof received === 'number' && !Number.isFinite(received) ? String(received) : JSON.stringify(received);
    const shown = received === undefined ? '' : ` (got ${text})`;
    return `  ${path || '(top level)'}: ${issue.message}${shown}`;
  });
  throw new ScenarioError(`invalid scenario in ${source}:\n${lines.join('\n')}`);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * Merges `override` into `base` key by key: arrays and scalars replace, objects merge, and an
 * object whose `kind` differs from the base's (another workload type) replaces it whole. Neither
 * input changes.
 */
export function mergeScenario(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override;
  if ('kind' in override && override.kind !== base.kind) return override;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) merged[key] = mergeScenario(base[key], value);
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
