// Readers fed random and truncated input must either read it or fail with an input error (code
// ERR_KVTIER_INPUT) that names the file. They must never hang or throw anything else. Each reader
// gets 1,000 damaged copies of a real file: cut at a random point with random text spliced in.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../sim/scenario.js';
import { readFioResults } from '../../devices/fio.js';
import { forEachMooncakeRequest } from '../../workloads/mooncake.js';
import { createRequestRecord } from '../../workloads/request.js';
import { openTrace, type TraceFormat } from '../../workloads/traces.js';

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

describe('other trace readers on damaged input', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const kvtierTrace = join(dir, 'generated.kvtier.jsonl');
  const generated = spawnSync(process.execPath, [join(root, 'dist/cli/main.js'), 'trace', 'generate', '--preset', 'chat', '--sessions', '20', '--format', 'kvtier', '--out', kvtierTrace], {
    encoding: 'utf8',
  });
  const samples: [TraceFormat, string][] = [
    ['azure', readFileSync(join(root, 'test/fixtures/traces/azure2023_conv.csv'), 'utf8').slice(0, 8_000)],
    ['burstgpt', readFileSync(join(root, 'test/fixtures/traces/burstgpt3_first400.csv'), 'utf8').slice(0, 8_000)],
    ['kvtier', generated.status === 0 ? readFileSync(kvtierTrace, 'utf8').slice(0, 8_000) : ''],
  ];

  it('has a generated kvtier trace to damage', () => {
    expect(generated.status, generated.stderr).toBe(0);
  });

  for (const [format, sample] of samples) {
    it(`${format}: reads or rejects truncated and spliced traces`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: sample.length }), fc.string({ maxLength: 40 }), fc.integer({ min: 0, max: sample.length }), (cut, junk, at) => {
          const path = join(dir, `damaged.${format}`);
          writeFileSync(path, sample.slice(0, at) + junk + sample.slice(at, Math.max(at, cut)));
          expectInputErrorOrSuccess(() => {
            const reader = openTrace(path, format);
            try {
              const record = createRequestRecord();
              while (reader.next(record));
            } finally {
              reader.close();
            }
          }, path);
        }),
        RUNS,
      );
    });
  }
});

describe('fio reader on damaged input', () => {
  const fio = readFileSync(fileURLToPath(new URL('../fixtures/fio/sabrent-rocket4plus-2tb/randread-1-1.json', import.meta.url)), 'utf8');

  it('reads or rejects truncated and spliced fio JSON', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: fio.length }), fc.string({ maxLength: 40 }), fc.integer({ min: 0, max: fio.length }), (cut, junk, at) => {
        const path = join(dir, 'damaged-fio.json');
        writeFileSync(path, fio.slice(0, at) + junk + fio.slice(at, Math.max(at, cut)));
        expectInputErrorOrSuccess(() => readFioResults([path]), path);
      }),
      RUNS,
    );
  });
});
