// Readers fed random and truncated input must either read it or fail with an input error (code
// ERR_KVTIER_INPUT) that names the file; they must never hang or throw anything else.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../sim/scenario.js';
import { forEachMooncakeRequest } from '../../workloads/mooncake.js';

const RUNS = { numRuns: 1000, seed: 20261204 };
const dir = mkdtempSync(join(tmpdir(), 'kvtier-fuzz-'));
const mooncake = readFileSync(fileURLToPath(new URL('../../workloads/data/mooncake_conversation_trace.jsonl', import.meta.url)), 'utf8').slice(0, 20_000);

function expectInputErrorOrSuccess(read: () => void, path: string): void {
  try {
    read();
  } catch (error) {
    expect((error as { code?: string }).code, String(error)).toBe('ERR_KVTIER_INPUT');
    expect((error as Error).message).toContain(path);
  }
}

describe('Mooncake reader on damaged input', () => {
  it('reads or rejects truncated and spliced traces', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: mooncake.length }), fc.string({ maxLength: 40 }), fc.integer({ min: 0, max: mooncake.length }), (cut, junk, at) => {
        const path = join(dir, 'mooncake.jsonl');
        const text = mooncake.slice(0, at) + junk + mooncake.slice(at, Math.max(at, cut));
        writeFileSync(path, text);
        expectInputErrorOrSuccess(() => forEachMooncakeRequest(path, () => {}), path);
      }),
      RUNS,
    );
  });

  it('reads or rejects random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const path = join(dir, 'random.jsonl');
        writeFileSync(path, bytes);
        expectInputErrorOrSuccess(() => forEachMooncakeRequest(path, () => {}), path);
      }),
      RUNS,
    );
  });
});

describe('scenario validation on random input', () => {
  it('accepts or rejects with the source named', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        expectInputErrorOrSuccess(() => parseScenario(value, 'fuzz.json'), 'fuzz.json');
      }),
      RUNS,
    );
  });
});
