// `kvtier merge`: join the folders of a sweep's shards into one sweep folder with its reports. The
// result is byte for byte the folder that the whole sweep would have written in one process.

import type { Argv, CommandModule } from 'yargs';
import { joinShards, openSweepFolder, writeRunRecord } from '../results/sweep-folder.js';
import { writeSweepReports } from '../results/sweep-report.js';

export interface MergeArguments {
  dirs: string[];
  out: string;
}

async function handleMerge(args: MergeArguments): Promise<void> {
  // Every check (same sweep, no run twice, none missing) passes before anything is written.
  const { manifest, texts } = joinShards(args.dirs);
  openSweepFolder(args.out, manifest);
  texts.forEach((text, index) => writeRunRecord(args.out, index, manifest.runCount, text));
  const files = writeSweepReports(args.out, manifest, texts);
  process.stdout.write(`${texts.length} runs from ${args.dirs.length} folders; ${files.length} report files -> ${args.out}\n`);
}

export const mergeCommand: CommandModule<object, MergeArguments> = {
  command: 'merge <dirs..>',
  describe: 'Join the folders of a sweep\'s shards into one sweep folder and write its reports',
  builder: (yargs: Argv<object>) =>
    yargs
      .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'shard folders written by kvtier sweep --shard' })
      .option('out', { type: 'string', demandOption: true, describe: 'sweep folder to write' }) as unknown as Argv<MergeArguments>,
  handler: handleMerge,
};
