// Entry point of a sweep worker thread. The main thread posts planned runs one at a time, and the
// worker runs each and posts back its record's file content, or the error it failed with.

import { parentPort, workerData } from 'node:worker_threads';
import { executeRun, serializeRunRecord, type PlannedRun } from './sweep.js';

/** Message a worker posts back for each run. */
export type WorkerReply =
  | { index: number; text: string }
  | { index: number; error: { name: string; message: string; code: unknown; stack: string | undefined } };

const { kvtierVersion } = workerData as { kvtierVersion: string };

parentPort?.on('message', (run: PlannedRun) => {
  let reply: WorkerReply;
  try {
    reply = { index: run.index, text: serializeRunRecord(executeRun(run, kvtierVersion)) };
  } catch (caught) {
    const error = caught as Error & { code?: unknown };
    reply = { index: run.index, error: { name: error.name, message: error.message, code: error.code, stack: error.stack } };
  }
  parentPort?.postMessage(reply);
});
