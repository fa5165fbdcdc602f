// `kvtier kv-size` in-process on its pure functions, plus one spawn of the built CLI for the exit
// statuses.
//
// Reference: Memblaze, "KV Cache Meets NVMe: The Key to Accelerating LLM Inference" (June 2025),
// computes LLaMA-2-70B in FP16 with all 64 heads as KV heads: about 2.6 MB per token, and 100 tokens
// = 260 MB, 1,000 = 2.6 GB, 4,000 = 10.4 GB, 8,192 = 21.3 GB, 10 sessions of 8,192 tokens above
// 200 GB. The article rounds to 2.6 MB per token before multiplying, so the exact products are up
// to 0.9% larger.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildKvSizeReport,
  formatBinaryBytes,
  formatDecimalBytes,
  parseTokenCounts,
  runKvSize,
  type KvSizeArgs,
} from '../../cli/kv-size.js';
import { getModel } from '../../sim/models.js';

const ARTICLE_SEQUENCE_BYTES = [
  { tokens: 100, bytes: 260e6 },
  { tokens: 1_000, bytes: 2.6e9 },
  { tokens: 4_000, bytes: 10.4e9 },
  { tokens: 8_192, bytes: 21.3e9 },
];

function args(overrides: Partial<KvSizeArgs>): KvSizeArgs {
  return { tokens: '100,1000,4000,8192', sessions: 10, format: 'table', list: false, ...overrides };
}

function inputErrorCode(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('buildKvSizeReport', () => {
  const report = buildKvSizeReport(getModel('llama2-70b-mha'), [100, 1_000, 4_000, 8_192], 10);

  it('llama2-70b-mha is 2,621,440 bytes per token', () => {
    expect(report.bytesPerToken).toBe(2_621_440);
  });

  it.each(ARTICLE_SEQUENCE_BYTES)('$tokens tokens within 1% of the article', ({ tokens, bytes }) => {
    const row = report.rows.find((candidate) => candidate.tokens === tokens);
    expect(row?.sequenceBytes).toBe(tokens * 2_621_440);
    expect(Math.abs((row?.sequenceBytes ?? 0) / bytes - 1)).toBeLessThan(0.01);
  });

  it('10 sessions of 8,192 tokens exceed 200 GB', () => {
    const row = report.rows.find((candidate) => candidate.tokens === 8_192);
    expect(row?.sessionsBytes).toBe(214_748_364_800);
    expect(row?.sessionsBytes).toBeGreaterThan(200e9);
  });

  it('real llama2-70b needs one eighth of that', () => {
    const real = buildKvSizeReport(getModel('llama2-70b'), [8_192], 10);
    expect(real.rows[0].sequenceBytes).toBe(8_192 * 327_680);
  });

  it('rejects zero sessions', () => {
    expect(() => buildKvSizeReport(getModel('llama2-70b'), [100], 0)).toThrow(/invalid --sessions 0/);
  });

  it('rejects a byte count beyond 2^53', () => {
    expect(() => buildKvSizeReport(getModel('llama2-70b-mha'), [2 ** 40], 10)).toThrow(/exceeds 2\^53/);
  });
});

describe('parseTokenCounts', () => {
  it('parses a comma-separated list with spaces', () => {
    expect(parseTokenCounts('100, 1000,8192')).toEqual([100, 1_000, 8_192]);
  });

  it.each(['', '100,', '0', '-5', '1.5', 'abc', '1e400'])('rejects "%s"', (text) => {
    expect(() => parseTokenCounts(text)).toThrow(/invalid --tokens entry/);
    expect(inputErrorCode(() => parseTokenCounts(text))).toBe('ERR_KVTIER_INPUT');
  });
});

describe('byte formatting', () => {
  it.each([
    [512, '512 B'],
    [2_621_440, '2.621 MB'],
    [262_144_000, '262.1 MB'],
    [2_621_440_000, '2.621 GB'],
    [10_485_760_000, '10.49 GB'],
    [21_474_836_480, '21.47 GB'],
    [214_748_364_800, '214.7 GB'],
    [999_960, '1 MB'],
  ])('decimal %d is %s', (bytes, text) => {
    expect(formatDecimalBytes(bytes)).toBe(text);
  });

  it.each([
    [1023, '1023 B'],
    [2_621_440, '2.5 MiB'],
    [262_144_000, '250 MiB'],
    [21_474_836_480, '20 GiB'],
    [214_748_364_800, '200 GiB'],
  ])('binary %d is %s', (bytes, text) => {
    expect(formatBinaryBytes(bytes)).toBe(text);
  });
});

describe('runKvSize', () => {
  it('table shows the per-token figure and the article rows', () => {
    const text = runKvSize(args({ model: 'llama2-70b-mha' }));
    expect(text).toContain('2,621,440 B (2.621 MB, 2.5 MiB)');
    expect(text).toContain('2 (K and V) x 80 layers x 64 KV heads x 128 head dim x 2 B');
    for (const figure of ['262.1 MB', '2.621 GB', '10.49 GB', '21.47 GB', '214.7 GB', '200 GiB']) expect(text).toContain(figure);
  });

  it('csv has one row per length', () => {
    const text = runKvSize(args({ model: 'llama2-70b-mha', format: 'csv' }));
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('model,tokens,bytes_per_token,sequence_bytes,sessions,sessions_bytes');
    expect(lines[4]).toBe('llama2-70b-mha,8192,2621440,21474836480,10,214748364800');
  });

  it('json round-trips the report', () => {
    const report = JSON.parse(runKvSize(args({ model: 'deepseek-v3', tokens: '1000', sessions: 3, format: 'json' })));
    expect(report.bytesPerToken).toBe(70_272);
    expect(report.formula).toBe('61 layers x (512 latent + 64 RoPE) x 2 B');
    expect(report.rows).toEqual([{ tokens: 1_000, sequenceBytes: 70_272_000, sessionsBytes: 210_816_000 }]);
  });

  it('list shows every preset with its shape', () => {
    const text = runKvSize(args({ list: true }));
    expect(text).toMatch(/^model\s+attention\s+layers\s+heads\s+KV heads\s+head dim\s+parameters\s+active\s+KV dtype\s+KV bytes\/token$/m);
    expect(text).toMatch(/^llama2-70b-mha\s+mha\s+80\s+64\s+64\s+128\s+68\.98B\s+68\.98B\s+fp16\/bf16\s+2,621,440$/m);
    expect(text).toMatch(/^deepseek-v3\s+mla\s+61\s+128\s+latent\s+512\+64\s+671B\s+37B\s+fp16\/bf16\s+70,272$/m);
  });

  it('list as json includes the latent width', () => {
    const rows = JSON.parse(runKvSize(args({ list: true, format: 'json' })));
    expect(rows.find((row: { name: string }) => row.name === 'deepseek-v3').latentDim).toBe(512);
  });

  it('unknown model is an input error naming it', () => {
    expect(() => runKvSize(args({ model: 'gpt-5' }))).toThrow(/unknown model "gpt-5": expected one of llama2-70b-mha/);
    expect(inputErrorCode(() => runKvSize(args({ model: 'gpt-5' })))).toBe('ERR_KVTIER_INPUT');
  });

  it('missing model is an input error', () => {
    expect(inputErrorCode(() => runKvSize(args({})))).toBe('ERR_KVTIER_INPUT');
  });

  it('unknown format is an input error', () => {
    expect(inputErrorCode(() => runKvSize(args({ model: 'llama2-70b', format: 'xml' as KvSizeArgs['format'] })))).toBe('ERR_KVTIER_INPUT');
  });
});

describe('kvtier kv-size (built CLI)', () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const mainPath = `${root}dist/cli/main.js`;
  const builtPath = `${root}dist/cli/kv-size.js`;
  const sourcePath = `${root}cli/kv-size.ts`;

  beforeAll(() => {
    // `npm test` builds first; a direct vitest run may find dist missing or older than the source.
    const stale = !existsSync(builtPath) || statSync(builtPath).mtimeMs < statSync(sourcePath).mtimeMs;
    if (stale) {
      try {
        execFileSync(`${root}node_modules/.bin/tsc`, ['-p', `${root}tsconfig.json`], { stdio: 'pipe' });
      } catch {
        // tsc still writes JavaScript when type errors elsewhere make it exit non-zero; the
        // existence check below decides.
      }
    }
    expect(existsSync(mainPath)).toBe(true);
  }, 120_000);

  it('exits 0 and prints the table', () => {
    const result = spawnSync(process.execPath, [mainPath, 'kv-size', '--model', 'llama2-70b-mha', '--tokens', '8192'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('21.47 GB');
  });

  it('exits 2 on an unknown model', () => {
    const result = spawnSync(process.execPath, [mainPath, 'kv-size', '--model', 'no-such-model'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown model "no-such-model"');
  });
});
