// Object-trace replay speed, the figure libCacheSim reports: requests per second per policy on a
// 10,000,000-request trace over 1,000,000 objects with Zipf(1.0) popularity and unit sizes, at caches
// of 1% and 10% of the distinct objects requested. The trace is generated here from a seeded
// generator, and ids are mapped to dense handles before timing starts, as `kvtier cachesim` does
// while reading a file, so the figures measure the replay alone. Each policy runs in a child
// process: a warm-up replay of the first 1,000,000 requests, then timed replays of the whole trace.

import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePolicySpec } from '../policies/registry.js';
import { readObjectTrace, simulateObjectTrace, type ObjectTrace } from '../sim/cachesim.js';
import { createRng } from '../workloads/random.js';

export interface CachesimBenchOptions {
  requests: number;
  objects: number;
  alpha: number;
  seed: number;
  /** Cache sizes as shares of the distinct objects requested. */
  shares: number[];
  policies: string[];
  /** Timed replays per policy and size; the table shows the median and the fastest. */
  repeats: number;
  /** Policies also timed end to end from a CSV file, reading included. */
  csvPolicies: string[];
}

export const CACHESIM_BENCH_DEFAULTS: CachesimBenchOptions = {
  requests: 10_000_000,
  objects: 1_000_000,
  alpha: 1.0,
  seed: 42,
  shares: [0.01, 0.1],
  policies: [
    'lru', 'fifo', 'clock', 'sieve', 's3fifo', 'arc', 'twoq', 'lfu', 'lirs', 'gdsf', 'belady',
    'prefix-lru', 'think-time', 'recompute-cost', 'optimal-prefix',
  ],
  repeats: 5,
  csvPolicies: ['lru', 's3fifo'],
};

/** A generated trace with the popularity rank of each handle's object (0 for the most popular). */
export interface ZipfTrace extends ObjectTrace {
  ranks: Int32Array;
}

/**
 * Generates the requests of a Zipf trace: request i names the object of popularity rank r with
 * probability proportional to 1 / r^alpha, drawn by inverting the cumulative distribution with a
 * binary search. Objects get dense handles in order of first request, unit sizes, and next uses.
 */
export function generateZipfTrace(requests: number, objects: number, alpha: number, seed: number): ZipfTrace {
  const cumulative = new Float64Array(objects);
  let total = 0;
  for (let rank = 0; rank < objects; rank++) {
    total += 1 / Math.pow(rank + 1, alpha);
    cumulative[rank] = total;
  }
  const random = createRng(seed, 'zipf');
  const handleOfRank = new Int32Array(objects).fill(-1);
  const handles = new Int32Array(requests);
  const ranks = new Int32Array(objects);
  let objectCount = 0;
  for (let index = 0; index < requests; index++) {
    const target = random() * total;
    let low = 0;
    let high = objects - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cumulative[middle] < target) low = middle + 1;
      else high = middle;
    }
    if (handleOfRank[low] === -1) {
      ranks[objectCount] = low;
      handleOfRank[low] = objectCount++;
    }
    handles[index] = handleOfRank[low];
  }

  const nextAccess = new Float64Array(requests);
  const lastSeen = new Float64Array(objectCount).fill(Number.POSITIVE_INFINITY);
  for (let index = requests - 1; index >= 0; index--) {
    nextAccess[index] = lastSeen[handles[index]];
    lastSeen[handles[index]] = index;
  }
  return {
    ranks: ranks.subarray(0, objectCount),
    path: `zipf(alpha=${alpha},objects=${objects},requests=${requests},seed=${seed})`,
    requestCount: requests,
    handles,
    sizes: new Float64Array(requests).fill(1),
    nextAccess,
    objectCount,
    workingSetSize: objectCount,
    totalRequestedSize: requests,
  };
}

/** Returns a view of the first `requests` requests of `trace`, for warm-up runs. */
function prefixOf(trace: ObjectTrace, requests: number): ObjectTrace {
  return {
    ...trace,
    requestCount: requests,
    handles: trace.handles.subarray(0, requests),
    sizes: trace.sizes.subarray(0, requests),
    nextAccess: trace.nextAccess.subarray(0, requests),
    totalRequestedSize: requests,
  };
}

/** One policy at one size: the median and the fastest of the timed replays. */
interface Measurement {
  label: string;
  cacheSize: number;
  missRatio: number;
  medianSeconds: number;
  fastestSeconds: number;
}

/**
 * Runs the benchmark and prints a Markdown table, one row per policy and size. Each policy runs in
 * its own child process, as each libCacheSim run is its own process, so that no policy runs with
 * call sites that earlier policies made polymorphic. The trace goes to the children as a file of
 * 32-bit handles.
 */
export function benchCachesim(options: CachesimBenchOptions = CACHESIM_BENCH_DEFAULTS, print: (line: string) => void = console.log): void {
  const generatedAt = process.hrtime.bigint();
  const trace = generateZipfTrace(options.requests, options.objects, options.alpha, options.seed);
  const generateSeconds = Number(process.hrtime.bigint() - generatedAt) / 1e9;
  const directory = mkdtempSync(join(tmpdir(), 'kvtier-bench-cachesim-'));
  const handlesPath = join(directory, 'handles.i32');
  writeFileSync(handlesPath, new Uint8Array(trace.handles.buffer, trace.handles.byteOffset, trace.handles.byteLength));

  print(
    `\ncachesim replay: ${options.requests.toLocaleString('en-US')} requests, Zipf alpha ${options.alpha} over ` +
      `${options.objects.toLocaleString('en-US')} objects (${trace.objectCount.toLocaleString('en-US')} requested), unit sizes, ` +
      `seed ${options.seed}; generated in ${generateSeconds.toFixed(1)} s; ${options.repeats} timed replays per row`,
  );
  print('policy | cache size | miss ratio | median s | M requests/s (median) | M requests/s (fastest)');
  print('---|---|---|---|---|---');
  try {
    for (const policy of options.policies) {
      const cacheSizes = options.shares.map((share) => Math.max(1, Math.floor(trace.objectCount * share)));
      const child = spawnSync(
        process.execPath,
        [fileURLToPath(import.meta.url), CHILD_FLAG, handlesPath, String(trace.objectCount), policy, cacheSizes.join(','), String(options.repeats)],
        { encoding: 'utf8', maxBuffer: 1 << 20 },
      );
      if (child.status !== 0) throw new Error(`cachesim bench of ${policy} failed: ${child.stderr}`);
      for (const line of child.stdout.trim().split('\n')) {
        const row = JSON.parse(line) as Measurement;
        const share = row.cacheSize / trace.objectCount;
        print(
          `${row.label} | ${row.cacheSize.toLocaleString('en-US')} (${(share * 100).toFixed(0)}%) | ${row.missRatio.toFixed(4)} | ` +
            `${row.medianSeconds.toFixed(2)} | ${(options.requests / row.medianSeconds / 1e6).toFixed(2)} | ${(options.requests / row.fastestSeconds / 1e6).toFixed(2)}`,
        );
      }
    }
    benchCsv(options, trace, directory, print);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

// Writes the trace as a CSV file `time,obj_id,obj_size` and times `kvtier cachesim`'s path from it,
// reading and parsing included, for the policies in `csvPolicies`; one child process per policy.
function benchCsv(options: CachesimBenchOptions, trace: ZipfTrace, directory: string, print: (line: string) => void): void {
  if (options.csvPolicies.length === 0) return;
  const csvPath = join(directory, 'zipf.csv');
  writeCsvTrace(trace, csvPath);
  print(`\ncachesim from a CSV file (${options.requests.toLocaleString('en-US')} lines, time,obj_id,obj_size; --ignore-size), reading included`);
  print('policy | cache size | read s | replay s | M requests/s end to end');
  print('---|---|---|---|---');
  for (const policy of options.csvPolicies) {
    for (const share of options.shares) {
      const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), CSV_CHILD_FLAG, csvPath, policy, String(share)], {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      });
      if (child.status !== 0) throw new Error(`cachesim CSV bench of ${policy} failed: ${child.stderr}`);
      const row = JSON.parse(child.stdout) as { label: string; cacheSize: number; readSeconds: number; replaySeconds: number };
      const total = row.readSeconds + row.replaySeconds;
      print(
        `${row.label} | ${row.cacheSize.toLocaleString('en-US')} (${(share * 100).toFixed(0)}%) | ${row.readSeconds.toFixed(2)} | ` +
          `${row.replaySeconds.toFixed(2)} | ${(options.requests / total / 1e6).toFixed(2)}`,
      );
    }
  }
}

// Writes one line per request with the object's popularity rank plus 1 as its id.
function writeCsvTrace(trace: ZipfTrace, path: string): void {
  const ranks = trace.ranks;
  const file = openSync(path, 'w');
  try {
    writeSync(file, 'time,obj_id,obj_size\n');
    const linesPerChunk = 100_000;
    for (let start = 0; start < trace.requestCount; start += linesPerChunk) {
      const end = Math.min(trace.requestCount, start + linesPerChunk);
      let chunk = '';
      for (let index = start; index < end; index++) chunk += `${index},${ranks[trace.handles[index]] + 1},1\n`;
      writeSync(file, chunk);
    }
  } finally {
    closeSync(file);
  }
}

const CSV_CHILD_FLAG = '--csv-child';

/** Reads the CSV trace and replays it once with one policy, printing the two durations as JSON. */
function runCsvChild(csvPath: string, policy: string, share: number): void {
  const spec = parsePolicySpec(policy);
  const readAt = process.hrtime.bigint();
  const trace = readObjectTrace(csvPath, { format: 'csv', ignoreSize: true });
  const replayAt = process.hrtime.bigint();
  const cacheSize = Math.max(1, Math.floor(trace.objectCount * share));
  simulateObjectTrace(trace, spec, cacheSize);
  const doneAt = process.hrtime.bigint();
  const row = { label: spec.label, cacheSize, readSeconds: Number(replayAt - readAt) / 1e9, replaySeconds: Number(doneAt - replayAt) / 1e9 };
  process.stdout.write(`${JSON.stringify(row)}\n`);
}

const CHILD_FLAG = '--child';

/** Replays the trace in `handlesPath` with one policy at each size, printing one JSON line per size. */
function runChild(handlesPath: string, objectCount: number, policy: string, cacheSizes: number[], repeats: number): void {
  const bytes = readFileSync(handlesPath);
  const handles = new Int32Array(bytes.byteLength / 4);
  new Uint8Array(handles.buffer).set(bytes);
  const requests = handles.length;
  const nextAccess = new Float64Array(requests);
  const lastSeen = new Float64Array(objectCount).fill(Number.POSITIVE_INFINITY);
  for (let index = requests - 1; index >= 0; index--) {
    nextAccess[index] = lastSeen[handles[index]];
    lastSeen[handles[index]] = index;
  }
  const trace: ObjectTrace = {
    path: handlesPath,
    requestCount: requests,
    handles,
    sizes: new Float64Array(requests).fill(1),
    nextAccess,
    objectCount,
    workingSetSize: objectCount,
    totalRequestedSize: requests,
  };
  const spec = parsePolicySpec(policy);
  const warmUp = prefixOf(trace, Math.min(requests, 1_000_000));
  for (const cacheSize of cacheSizes) {
    simulateObjectTrace(warmUp, spec, cacheSize);
    const seconds: number[] = [];
    let misses = 0;
    for (let run = 0; run < repeats; run++) {
      const startedAt = process.hrtime.bigint();
      misses = simulateObjectTrace(trace, spec, cacheSize).misses;
      seconds.push(Number(process.hrtime.bigint() - startedAt) / 1e9);
    }
    seconds.sort((a, b) => a - b);
    const row: Measurement = {
      label: spec.label,
      cacheSize,
      missRatio: misses / requests,
      medianSeconds: seconds[Math.floor(seconds.length / 2)],
      fastestSeconds: seconds[0],
    };
    process.stdout.write(`${JSON.stringify(row)}\n`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [flag, ...rest] = process.argv.slice(2);
  if (flag === CHILD_FLAG) {
    const [handlesPath, objectCount, policy, cacheSizes, repeats] = rest;
    runChild(handlesPath, Number(objectCount), policy, cacheSizes.split(',').map(Number), Number(repeats));
  } else if (flag === CSV_CHILD_FLAG) {
    const [csvPath, policy, share] = rest;
    runCsvChild(csvPath, policy, Number(share));
  }
}
