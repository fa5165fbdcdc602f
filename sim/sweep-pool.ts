// Executes a sweep's runs in this thread or on a pool of worker threads. Each run's record is
// handed to `onRecord` as its text, in completion order. The text does not depend on the thread
// that ran it, because a run depends only on its scenario.

import { Worker } from 'node:worker_threads';
import { executeRun, serializeRunRecord, type PlannedRun } from './sweep.js';
import type { WorkerReply } from './sweep-worker.js';

export interface ExecuteOptions {
  /** Worker threads to use; 1 runs every run in the calling thread. */
  workers: number;
  kvtierVersion: string;
  /** Receives each finished run and its record's file content. */
  onRecord: (run: PlannedRun, text: string) => void;
}

/** A run that failed on a worker thread, with the worker's error name, message and code. */
export class RunFailedError extends Error {
  readonly code: unknown;

  constructor(run: PlannedRun, error: { name: string; message: string; code: unknown; stack: string | undefined }) {
    super(`run ${run.index} failed: ${error.message}`);
    this.name = error.name;
    this.code = error.code;
    if (error.stack !== undefined) this.stack = error.stack;
  }
}

/** Executes `runs` and resolves when all have been handed to `onRecord`; rejects on the first failure. */
export async function executeRuns(runs: readonly PlannedRun[], options: ExecuteOptions): Promise<void> {
  if (options.workers <= 1 || runs.length <= 1) return executeSerially(runs, options);
  return executeOnWorkers(runs, options);
}

async function executeSerially(runs: readonly PlannedRun[], options: ExecuteOptions): Promise<void> {
  for (const run of runs) {
    options.onRecord(run, serializeRunRecord(executeRun(run, options.kvtierVersion)));
    // Yield between runs so that timers (a progress bar) and signals get their turn.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function executeOnWorkers(runs: readonly PlannedRun[], options: ExecuteOptions): Promise<void> {
  // The compiled worker sits next to this module in dist/sim.
  const workerUrl = new URL('./sweep-worker.js', import.meta.url);
  const byIndex = new Map(runs.map((run) => [run.index, run]));
  const count = Math.min(options.workers, runs.length);

  return new Promise<void>((resolve, reject) => {
    const workers: Worker[] = [];
    let next = 0;
    let finished = 0;
    let failed = false;
    // Workers stopped on purpose exit with status 1 too, so their exits are not failures.
    const retired = new Set<Worker>();
    const retire = (worker: Worker) => {
      retired.add(worker);
      void worker.terminate();
    };

    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      for (const worker of workers) retire(worker);
      reject(error);
    };

    const dispatch = (worker: Worker) => {
      if (next < runs.length) worker.postMessage(runs[next++]);
      else retire(worker);
    };

    for (let slot = 0; slot < count; slot++) {
      const worker = new Worker(workerUrl, { workerData: { kvtierVersion: options.kvtierVersion } });
      workers.push(worker);
      worker.on('message', (reply: WorkerReply) => {
        if (failed) return;
        const run = byIndex.get(reply.index) as PlannedRun;
        if ('error' in reply) {
          fail(new RunFailedError(run, reply.error));
          return;
        }
        try {
          options.onRecord(run, reply.text);
        } catch (error) {
          fail(error as Error);
          return;
        }
        finished++;
        if (finished === runs.length) {
          for (const other of workers) retire(other);
          resolve();
        } else {
          dispatch(worker);
        }
      });
      worker.on('error', (error) => fail(error));
      worker.on('exit', (exitCode) => {
        if (!retired.has(worker) && !failed) fail(new Error(`a sweep worker exited with status ${exitCode}`));
      });
      dispatch(worker);
    }
  });
}
