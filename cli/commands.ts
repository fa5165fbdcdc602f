// The list of kvtier's commands, one module each. Adding a command adds one line here.

import type { CommandModule } from 'yargs';
import { cachesimCommand } from './cachesim.js';
import { policiesCommand } from './policies.js';
import { kvSizeCommand } from './kv-size.js';
import { metricsCommand } from './metrics.js';
import { runCommand } from './run.js';
import { sweepCommand } from './sweep.js';
import { mergeCommand } from './merge.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  runCommand,
  metricsCommand,
  kvSizeCommand,
  cachesimCommand,
  policiesCommand,
  sweepCommand,
  mergeCommand,
];
