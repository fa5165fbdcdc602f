// `kvtier validate`: fidelity checks against independent references, each producing rows of
// (check, reference, expected, got, verdict). The reference files ship in the repository under
// test/fixtures/ with their sources; `fixturesDir` points there.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFioResults } from '../devices/fio.js';
import { assessFit, compareWithMeasurements } from '../devices/nvme-fit.js';
import { loadNvmeProfile } from '../devices/nvme-profile.js';
import { wafFifo, wafGreedy } from '../devices/write-amplification.js';
import { parsePolicySpec } from '../policies/registry.js';
import { replayMooncakeBlocks } from './block-replay.js';
import { readObjectTrace, simulateObjectTrace } from './cachesim.js';
import { getModel, kvBytesPerToken } from './models.js';
import { closedFormMeanWaitNs, QUEUE_EXPERIMENTS, simulateMeanWaitNs, type QueueExperiment } from './queueing.js';

export interface ValidationRow {
  check: string;
  reference: string;
  expected: string;
  got: string;
  pass: boolean;
}

export interface ValidationCheck {
  name: string;
  run(paths: ValidationPaths): ValidationRow[];
}

export interface ValidationPaths {
  /** test/fixtures of the kvtier repository. */
  fixturesDir: string;
  /** devices/profiles of the kvtier repository: the fitted NVMe presets. */
  profilesDir: string;
  /** The shipped Mooncake conversation trace. */
  mooncakeTrace: string;
}

function readCsvRows(path: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  const columns = header.split(',');
  return lines.map((line) => {
    const fields = line.split(',');
    return Object.fromEntries(columns.map((column, index) => [column, fields[index]]));
  });
}

const exact = (check: string, reference: string, expected: number, got: number): ValidationRow => ({
  check,
  reference,
  expected: expected.toLocaleString('en-US'),
  got: got.toLocaleString('en-US'),
  pass: expected === got,
});

const LIBCACHESIM: ValidationCheck = {
  name: 'libCacheSim miss counts',
  run: ({ fixturesDir }) => {
    const dir = join(fixturesDir, 'libcachesim');
    const reference = 'libCacheSim aa0fc40, zipf_a1.0_200k_seed42';
    const traces = {
      unit: readObjectTrace(join(dir, 'zipf_a1.0_200k_seed42.csv'), { format: 'csv', ignoreSize: true }),
      variable: readObjectTrace(join(dir, 'zipf_a1.0_200k_seed42.csv'), { format: 'csv', ignoreSize: false }),
    };
    const rows: ValidationRow[] = [];
    for (const row of readCsvRows(join(dir, 'zipf_a1.0_200k_seed42_reference.csv'))) {
      const mode = row.size_mode as 'unit' | 'variable';
      const size = Number(row.cache_size);
      const result = simulateObjectTrace(traces[mode], parsePolicySpec(row.cachesim_algo_arg.toLowerCase()), size);
      const label = `${row.cachesim_algo_arg} ${mode} ${size}`;
      rows.push(exact(`${label}: misses`, reference, Number(row.n_miss_exact), result.misses));
      if (mode === 'variable') rows.push(exact(`${label}: bytes missed`, reference, Number(row.n_miss_bytes_exact), result.bytesMissed));
    }
    return rows;
  },
};

const MOONCAKE_LRU: ValidationCheck = {
  name: 'Mooncake block-level LRU',
  run: ({ fixturesDir, mooncakeTrace }) => {
    const reference = 'Python OrderedDict LRU over the Mooncake conversation trace';
    const rows: ValidationRow[] = [];
    for (const row of readCsvRows(join(fixturesDir, 'reference', 'mooncake-conversation-lru.csv'))) {
      const capacity = row.capacity_blocks === 'unbounded' ? Infinity : Number(row.capacity_blocks);
      const got = replayMooncakeBlocks(mooncakeTrace, capacity);
      const label = `LRU ${row.capacity_blocks} blocks`;
      rows.push(exact(`${label}: hits anywhere`, reference, Number(row.hits_any_position), got.hitsAnyPosition));
      rows.push(exact(`${label}: prefix hits`, reference, Number(row.hits_prefix), got.hitsPrefix));
      rows.push(exact(`${label}: prefix hit tokens`, reference, Number(row.prefix_hit_tokens), got.prefixHitTokens));
    }
    return rows;
  },
};

const KV_SIZE: ValidationCheck = {
  name: 'KV bytes per token',
  run: ({ fixturesDir }) => {
    const rows = readCsvRows(join(fixturesDir, 'reference', 'kv-size.csv')).map((row) =>
      exact(`${row.model}: bytes per token`, 'model configs (kv-size.csv)', Number(row.kv_bytes_per_token), kvBytesPerToken(getModel(row.model))),
    );
    // Memblaze, "KV Cache Meets NVMe: The Key to Accelerating LLM Inference" (June 2025): about
    // 2.6 MB per token for LLaMA-2-70B in FP16 with 64 KV heads, and its table per length.
    const perToken = kvBytesPerToken(getModel('llama2-70b-mha'));
    const article = 'Memblaze KV Cache Meets NVMe (June 2025), within 1%';
    for (const [tokens, sessions, bytes] of [
      [100, 1, 260e6],
      [1000, 1, 2.6e9],
      [4000, 1, 10.4e9],
      [8192, 1, 21.3e9],
    ]) {
      const got = perToken * tokens * sessions;
      rows.push({ check: `llama2-70b-mha, ${tokens} tokens`, reference: article, expected: `${bytes / 1e9} GB`, got: `${(got / 1e9).toFixed(3)} GB`, pass: Math.abs(got - bytes) / bytes <= 0.01 });
    }
    const tenSessions = perToken * 8192 * 10;
    rows.push({ check: 'llama2-70b-mha, 10 sessions of 8,192 tokens', reference: 'Memblaze KV Cache Meets NVMe (June 2025)', expected: '> 200 GB', got: `${(tenSessions / 1e9).toFixed(1)} GB`, pass: tenSessions > 200e9 });
    return rows;
  },
};

const CLOSED_FORMS: Record<QueueExperiment['model'], string> = {
  'M/M/1': 'M/M/1 closed form',
  'M/D/1': 'Pollaczek-Khinchine',
  'M/M/c': 'Erlang C',
};

const QUEUEING: ValidationCheck = {
  name: 'queueing closed forms',
  run: () =>
    QUEUE_EXPERIMENTS.map((experiment) => {
      const expected = closedFormMeanWaitNs(experiment);
      const got = simulateMeanWaitNs(experiment);
      return {
        check: `${experiment.model}, ${experiment.servers} server(s), rho ${experiment.utilisation}: mean wait`,
        reference: `${CLOSED_FORMS[experiment.model]}, within 2%`,
        expected: `${(expected / 1e6).toFixed(4)} ms`,
        got: `${(got / 1e6).toFixed(4)} ms`,
        pass: Math.abs(got - expected) / expected < 0.02,
      };
    }),
};

const WRITE_AMPLIFICATION: ValidationCheck = {
  name: 'SSD write amplification',
  run: ({ fixturesDir }) => {
    const reference = 'Desnoyers, SYSTOR 2012 (to 3 decimals)';
    const rows: ValidationRow[] = [];
    for (const row of readCsvRows(join(fixturesDir, 'reference', 'ssd-waf-desnoyers.csv'))) {
      const spareFactor = Number(row.spare_factor);
      const cases: [string, string, number][] = [
        ['FIFO/LRU cleaning', row.waf_lru_fifo_cleaning, wafFifo(spareFactor)],
        ['greedy, 64 pages per block', row.waf_greedy_64_pages_per_block, wafGreedy(spareFactor, 64)],
        ['greedy, 256 pages per block', row.waf_greedy_256_pages_per_block, wafGreedy(spareFactor, 256)],
      ];
      for (const [cleaning, expected, got] of cases) {
        rows.push({ check: `spare factor ${spareFactor}, ${cleaning}`, reference, expected, got: got.toFixed(3), pass: got.toFixed(3) === expected });
      }
    }
    return rows;
  },
};

// The fitted presets must reproduce the fio runs they were fitted to: at least 90% of the points
// within 10% on IOPS and 20% on p99 latency.
const DEVICE_FIT: ValidationCheck = {
  name: 'NVMe model against the bundled fio measurements',
  run: ({ fixturesDir, profilesDir }) =>
    ['sabrent-rocket4plus-2tb', 'local-virtio'].map((name) => {
      const profile = loadNvmeProfile(join(profilesDir, `${name}.json`));
      const quality = assessFit(compareWithMeasurements(profile, readFioResults([join(fixturesDir, 'fio', name)])));
      return {
        check: `${name}: points within 10% IOPS and 20% p99`,
        reference: `fio runs in test/fixtures/fio/${name}`,
        expected: '>= 90%',
        got: `${quality.within} of ${quality.points} (${(quality.share * 100).toFixed(0)}%)`,
        pass: quality.share >= 0.9,
      };
    }),
};

/** Every check of `kvtier validate`, in the order it prints them. */
export const VALIDATION_CHECKS: ValidationCheck[] = [LIBCACHESIM, MOONCAKE_LRU, KV_SIZE, WRITE_AMPLIFICATION, QUEUEING, DEVICE_FIT];
