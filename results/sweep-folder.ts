// Reading and writing a sweep folder: `sweep.json`, the manifest, and `runs/NNNN.json`, one file per
// finished run, each written under a temporary name and renamed. A run whose file exists with the
// expected configuration is finished, which is how an interrupted sweep resumes and how `kvtier
// merge` finds each shard's runs.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { toJson, writeFileAtomic } from './run-folder.js';
import { runFileName, type SweepManifest, type SweepRunRecord } from './sweep-record.js';

/** A sweep folder that cannot be used: another sweep's folder, or shards that do not join up. */
export class SweepFolderError extends Error {
  readonly code = 'ERR_KVTIER_INPUT';

  constructor(message: string) {
    super(message);
    this.name = 'SweepFolderError';
  }
}

export const MANIFEST_FILE = 'sweep.json';
export const RUNS_FOLDER = 'runs';

const RUN_FILE = /^\d+\.json$/;

/** Reads `dir/sweep.json`, or returns null when the folder has none. */
export function readManifest(dir: string): SweepManifest | null {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SweepManifest;
  } catch (error) {
    throw new SweepFolderError(`${path} is not valid JSON: ${(error as Error).message}; delete the folder or choose another --out`);
  }
}

/** Serialises the manifest without its shard, so that shards of one sweep compare equal. */
function sweepIdentity(manifest: SweepManifest): string {
  const { shard: _shard, ...rest } = manifest;
  return JSON.stringify(rest);
}

/**
 * Prepares `dir` for `manifest`: creates it, checks that a manifest already there describes the same
 * sweep and shard, so that its runs can be kept, and removes leftover temporary files. Writes the
 * manifest.
 */
export function openSweepFolder(dir: string, manifest: SweepManifest): void {
  const existing = readManifest(dir);
  if (existing !== null && JSON.stringify(existing) !== JSON.stringify(manifest)) {
    const reason =
      sweepIdentity(existing) !== sweepIdentity(manifest)
        ? 'a different sweep (or another kvtier version)'
        : existing.shard
          ? `shard ${existing.shard.index}/${existing.shard.count} of this sweep`
          : 'this sweep without shards';
    throw new SweepFolderError(`${dir} contains ${reason}; choose another --out folder or delete ${join(dir, MANIFEST_FILE)} and its runs`);
  }
  mkdirSync(join(dir, RUNS_FOLDER), { recursive: true });
  // Removes temporary files left by an interrupted write. One process writes a sweep folder at a
  // time, so none of them is still being written.
  for (const name of readdirSync(join(dir, RUNS_FOLDER))) {
    if (name.endsWith('.tmp')) rmSync(join(dir, RUNS_FOLDER, name));
  }
  writeFileAtomic(join(dir, MANIFEST_FILE), toJson(manifest));
}

/** Path of run `index`'s record in `dir`. */
export function runFilePath(dir: string, index: number, runCount: number): string {
  return join(dir, RUNS_FOLDER, runFileName(index, runCount));
}

/**
 * Returns the indices among `expected` whose record in `dir` exists and contains the expected
 * configuration. A record that cannot be parsed, from an interrupted write outside kvtier, counts as
 * unfinished.
 */
export function findFinishedRuns(dir: string, runCount: number, expected: readonly { index: number; config: unknown }[]): Set<number> {
  const finished = new Set<number>();
  for (const run of expected) {
    const path = runFilePath(dir, run.index, runCount);
    if (!existsSync(path)) continue;
    try {
      const record = JSON.parse(readFileSync(path, 'utf8')) as SweepRunRecord;
      if (record.index === run.index && JSON.stringify(record.config) === JSON.stringify(run.config)) finished.add(run.index);
    } catch {
      // An unreadable record is run again and overwritten.
    }
  }
  return finished;
}

/** Writes the record text of run `index`. */
export function writeRunRecord(dir: string, index: number, runCount: number, text: string): void {
  writeFileAtomic(runFilePath(dir, index, runCount), text);
}

/** Lists the record files of `dir`'s runs folder as (index, path) pairs, sorted by index. */
function listRunFiles(dir: string): { index: number; path: string }[] {
  const folder = join(dir, RUNS_FOLDER);
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((name) => RUN_FILE.test(name))
    .map((name) => ({ index: Number.parseInt(name, 10), path: join(folder, name) }))
    .sort((a, b) => a.index - b.index);
}

/** Reads the record text of every run of a complete sweep folder, in index order. */
export function readRunTexts(dir: string, manifest: SweepManifest): string[] {
  const texts: string[] = [];
  const missing: number[] = [];
  for (let index = 0; index < manifest.runCount; index++) {
    const path = runFilePath(dir, index, manifest.runCount);
    if (existsSync(path)) texts.push(readFileSync(path, 'utf8'));
    else missing.push(index);
  }
  if (missing.length > 0) throw new SweepFolderError(`${dir} is missing ${missing.length} of ${manifest.runCount} runs (${describeIndices(missing)})`);
  return texts;
}

function describeIndices(indices: readonly number[]): string {
  const shown = indices.slice(0, 10).join(', ');
  return indices.length > 10 ? `runs ${shown} and ${indices.length - 10} more` : `run${indices.length === 1 ? '' : 's'} ${shown}`;
}

/**
 * Joins the runs of shard folders `dirs` into a manifest without shard and the run texts in index
 * order. Throws SweepFolderError when a folder is not a sweep folder, the folders contain different
 * sweeps, a run is in two folders, or a run is in none.
 */
export function joinShards(dirs: readonly string[]): { manifest: SweepManifest; texts: string[] } {
  if (dirs.length === 0) throw new SweepFolderError('name at least one sweep folder to merge');
  let reference: { dir: string; manifest: SweepManifest } | null = null;
  const owner = new Map<number, string>();
  const texts = new Map<number, string>();

  for (const dir of dirs) {
    const manifest = readManifest(dir);
    if (manifest === null) throw new SweepFolderError(`${dir} is not a sweep folder: ${join(dir, MANIFEST_FILE)} is missing`);
    if (reference === null) reference = { dir, manifest };
    else if (sweepIdentity(manifest) !== sweepIdentity(reference.manifest)) {
      throw new SweepFolderError(`${dir} and ${reference.dir} contain different sweeps (their ${MANIFEST_FILE} differ beyond the shard); merge only shards of one sweep`);
    }
    for (const { index, path } of listRunFiles(dir)) {
      if (index >= manifest.runCount) throw new SweepFolderError(`${path} is run ${index}, but the sweep has ${manifest.runCount} runs`);
      const previous = owner.get(index);
      if (previous !== undefined) throw new SweepFolderError(`run ${index} is in both ${previous} and ${dir}; each run must come from one shard`);
      owner.set(index, dir);
      texts.set(index, readFileSync(path, 'utf8'));
    }
  }

  const { shard: _shard, ...manifest } = (reference as { manifest: SweepManifest }).manifest;
  const missing: number[] = [];
  for (let index = 0; index < manifest.runCount; index++) if (!texts.has(index)) missing.push(index);
  if (missing.length > 0) {
    throw new SweepFolderError(
      `the folders contain ${texts.size} of ${manifest.runCount} runs; missing ${describeIndices(missing)}. ` +
        'Run the missing shards (or rerun a shard to finish it) and merge again',
    );
  }
  return { manifest, texts: Array.from({ length: manifest.runCount }, (_, index) => texts.get(index) as string) };
}
