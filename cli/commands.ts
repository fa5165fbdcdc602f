// The list of kvtier's commands, one module each. Adding a command adds one line here.

import type { CommandModule } from 'yargs';
import { cachesimCommand } from './cachesim.js';
import { calibrateCommand } from './calibrate.js';
import { policiesCommand } from './policies.js';
import { kvSizeCommand } from './kv-size.js';
import { checkCommand } from './check.js';
import { compareCommand } from './compare.js';
import { metricsCommand } from './metrics.js';
import { runCommand } from './run.js';
import { traceCommand } from './trace.js';
import { validateCommand } from './validate.js';
import { sweepCommand } from './sweep.js';
import { mergeCommand } from './merge.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  runCommand,
  metricsCommand,
  compareCommand,
  checkCommand,
  kvSizeCommand,
  cachesimCommand,
  policiesCommand,
  sweepCommand,
  mergeCommand,
  traceCommand,
  calibrateCommand,
  validateCommand,
];
