// requests.csv: one row per completed request, streamed to a temporary file while the run goes
// and renamed into place when it ends, so memory does not grow with the number of requests and a
// failed run leaves no partial file.

import { closeSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { TTFT_SOURCES } from './recorder.js';

/** One completed request, as the simulator reports it. Times in ns; the object is reused. */
export interface RequestOutcome {
  sessionId: number;
  turn: number;
  arrivalAt: number;
  inputTokens: number;
  outputTokens: number;
  /** Index into TTFT_SOURCES. */
  source: number;
  usedTokens: number;
  ttftNs: number;
  tpotNs: number;
  e2eNs: number;
  queueNs: number;
  loadNs: number;
  gpuWaitNs: number;
  computeNs: number;
}

export const REQUEST_COLUMNS = [
  'session',
  'turn',
  'arrival_s',
  'input_tokens',
  'output_tokens',
  'prefix_source',
  'used_tokens',
  'ttft_ms',
  'tpot_ms',
  'e2e_ms',
  'queue_ms',
  'load_ms',
  'gpu_wait_ms',
  'compute_ms',
] as const;

export class RequestCsvWriter {
  private readonly path: string;
  private readonly temporary: string;
  private readonly fd: number;
  private buffer = '';

  constructor(path: string) {
    this.path = path;
    this.temporary = `${path}.${process.pid}.tmp`;
    this.fd = openSync(this.temporary, 'w');
    this.buffer = `${REQUEST_COLUMNS.join(',')}\n`;
  }

  write(outcome: RequestOutcome): void {
    const ms = 1e6;
    this.buffer +=
      `${outcome.sessionId},${outcome.turn},${outcome.arrivalAt / 1e9},${outcome.inputTokens},${outcome.outputTokens},` +
      `${TTFT_SOURCES[outcome.source]},${outcome.usedTokens},${outcome.ttftNs / ms},${outcome.tpotNs / ms},${outcome.e2eNs / ms},` +
      `${outcome.queueNs / ms},${outcome.loadNs / ms},${outcome.gpuWaitNs / ms},${outcome.computeNs / ms}\n`;
    if (this.buffer.length > 1 << 16) this.flush();
  }

  /** Writes what is buffered and renames the file into place. */
  close(): void {
    this.flush();
    closeSync(this.fd);
    renameSync(this.temporary, this.path);
  }

  /** Removes the temporary file after a failed run. */
  abort(): void {
    closeSync(this.fd);
    unlinkSync(this.temporary);
  }

  private flush(): void {
    writeSync(this.fd, this.buffer);
    this.buffer = '';
  }
}
