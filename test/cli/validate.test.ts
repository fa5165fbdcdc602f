import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderValidationTable } from '../../cli/validate.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('kvtier validate', () => {
  it('passes every check and exits 0', () => {
    const result = spawnSync(process.execPath, [join(root, 'dist/cli/main.js'), 'validate'], { cwd: root, encoding: 'utf8' });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const [, passed, total] = /kvtier validate: (\d+) of (\d+) checks pass/.exec(result.stdout) ?? [];
    expect(Number(passed)).toBe(Number(total));
    expect(Number(total)).toBeGreaterThanOrEqual(130);
    expect(result.stdout).toContain('## libCacheSim miss counts: 99 of 99 pass');
    expect(result.stdout).toContain('## Mooncake block-level LRU: 15 of 15 pass');
    expect(result.stdout).toContain('## SSD write amplification: 15 of 15 pass');
    expect(result.stdout).toContain('## NVMe model against the bundled fio measurements: 2 of 2 pass');
  });

  it('marks a failing row', () => {
    const table = renderValidationTable([{ check: 'x', reference: 'r', expected: '1', got: '2', pass: false }]);
    expect(table).toContain('| x | r | 1 | 2 | FAIL |');
  });
});
