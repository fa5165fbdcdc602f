#!/usr/bin/env node
// kvtier's command line. Each command lives in its own module and exports a yargs CommandModule.
// This file registers them and turns errors into exit statuses: 2 for invalid input (any error
// whose `code` is ERR_KVTIER_INPUT, and yargs usage errors), 1 for anything else.

import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands.js';

/** Invalid command-line usage: an unknown command or option, or a missing or malformed value. */
class UsageError extends Error {
  readonly code = 'ERR_KVTIER_INPUT';
}

export function isInputError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ERR_KVTIER_INPUT';
}

async function main(argv: string[]): Promise<number> {
  const parser = yargs(argv)
    .scriptName('kvtier')
    .strict()
    .demandCommand(1, 'Name a command; see kvtier --help.')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((message, error) => {
      if (error) throw error;
      // yargs reports an unknown command only as a suggestion, so the message names the command first.
      const text = /^Did you mean /.test(message) ? `unknown command "${argv[0]}". ${message}` : message;
      throw new UsageError(`${text}\nRun "kvtier --help" for usage.`);
    });
  for (const command of commands) parser.command(command);
  try {
    await parser.parseAsync();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`kvtier: ${message}\n`);
    if (!isInputError(error) && error instanceof Error && process.env.KVTIER_DEBUG) process.stderr.write(`${error.stack}\n`);
    return isInputError(error) ? 2 : 1;
  }
  return (process.exitCode as number | undefined) ?? 0;
}

main(hideBin(process.argv)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(`kvtier: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
