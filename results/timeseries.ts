// The per-minute time series of a run (timeseries.csv). The simulator appends one row at the end of
// every simulated minute, and one for the last partial minute; memory grows with the simulated
// duration (one row per minute), not with the number of requests.

import { stringify } from 'csv-stringify/sync';

export const TIME_SERIES_COLUMNS = [
  'minute',
  'start_s',
  'arrivals',
  'admissions',
  'completions',
  'request_rate_per_s',
  'hit_rate_tokens',
  'hit_rate_tokens_gpu',
  'hit_rate_tokens_dram',
  'hit_rate_tokens_ssd',
  'queue_length',
  'running_requests',
  'ssd_read_bytes_per_s',
  'ssd_write_bytes_per_s',
  'gpu_cache_bytes',
  'inflight_kv_bytes',
  'gpu_memory_bytes',
] as const;

export const SAMPLE_INTERVAL_NS = 60e9;

/** Rows of the time series, one array of numbers per minute in TIME_SERIES_COLUMNS order. */
export class TimeSeries {
  readonly rows: number[][] = [];

  append(row: number[]): void {
    this.rows.push(row);
  }

  toCsv(): string {
    return stringify(this.rows, { header: true, columns: [...TIME_SERIES_COLUMNS] });
  }
}
