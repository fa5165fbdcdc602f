// `kvtier validate`: run every fidelity check against its independent reference and print a table;
// exit 1 when any check fails.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv, CommandModule } from 'yargs';
import { VALIDATION_CHECKS, type ValidationPaths, type ValidationRow } from '../sim/validate.js';

export interface ValidateArguments {
  failuresOnly?: boolean;
}

// The repository root: two folders above this module when compiled (dist/cli), one in the sources.
function repositoryRoot(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth++) {
    if (existsSync(join(folder, 'test', 'fixtures', 'reference'))) return folder;
    folder = dirname(folder);
  }
  throw Object.assign(new Error('cannot find test/fixtures/ with the reference data: run kvtier validate from a clone of the kvtier repository'), {
    code: 'ERR_KVTIER_INPUT',
  });
}

export function validationPaths(): ValidationPaths {
  const root = repositoryRoot();
  return {
    fixturesDir: join(root, 'test', 'fixtures'),
    profilesDir: join(root, 'devices', 'profiles'),
    mooncakeTrace: join(root, 'workloads', 'data', 'mooncake_conversation_trace.jsonl'),
  };
}

export function renderValidationTable(rows: ValidationRow[]): string {
  const lines = ['| check | reference | expected | got | verdict |', '|---|---|---|---|---|'];
  for (const row of rows) lines.push(`| ${row.check} | ${row.reference} | ${row.expected} | ${row.got} | ${row.pass ? 'pass' : 'FAIL'} |`);
  return `${lines.join('\n')}\n`;
}

export const validateCommand: CommandModule<object, ValidateArguments> = {
  command: 'validate',
  describe: 'Run every fidelity check against its independent reference; exit 1 when any fails',
  builder: (yargs: Argv<object>) =>
    yargs.option('failures-only', { type: 'boolean', default: false, describe: 'print only the rows that fail' }) as Argv<ValidateArguments>,
  handler: (args) => {
    const paths = validationPaths();
    let failed = 0;
    let total = 0;
    for (const check of VALIDATION_CHECKS) {
      const rows = check.run(paths);
      const failures = rows.filter((row) => !row.pass);
      failed += failures.length;
      total += rows.length;
      process.stdout.write(`## ${check.name}: ${rows.length - failures.length} of ${rows.length} pass\n\n`);
      const shown = args.failuresOnly ? failures : rows;
      if (shown.length > 0) process.stdout.write(`${renderValidationTable(shown)}\n`);
    }
    process.stdout.write(`kvtier validate: ${total - failed} of ${total} checks pass\n`);
    if (failed > 0) process.exitCode = 1;
  },
};
