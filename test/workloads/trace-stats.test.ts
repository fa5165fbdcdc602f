import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { BlockIdSet } from '../../workloads/block-set.js';
import { QuantileHistogram } from '../../workloads/histogram.js';
import { createRequestRecord } from '../../workloads/request.js';
import { SessionInference } from '../../workloads/session-inference.js';
import { computeTraceStats } from '../../workloads/trace-stats.js';
import { detectTraceFormat, openTrace } from '../../workloads/traces.js';

// Mooncake FAST'25 conversation trace (kvcache-ai/Mooncake, Apache-2.0); the first 400 rows of
// BurstGPT_3.csv (HPMLL/BurstGPT v2.0, CC-BY-4.0); Azure LLM inference trace, conversation, 2023
// (Azure/AzurePublicDataset, CC-BY-4.0). Reference values measured with Python's json and csv
// modules; percentiles with linear interpolation between order statistics, as numpy.percentile.
const mooncakePath = fileURLToPath(new URL('../../workloads/data/mooncake_conversation_trace.jsonl', import.meta.url));
const burstPath = fileURLToPath(new URL('../fixtures/traces/burstgpt3_first400.csv', import.meta.url));
const azurePath = fileURLToPath(new URL('../fixtures/traces/azure2023_conv.csv', import.meta.url));

describe('computeTraceStats on the Mooncake conversation trace', () => {
  const stats = computeTraceStats(openTrace(mooncakePath, 'mooncake'), { format: 'mooncake', recordedBlockIds: true });

  it('counts requests and tokens as Table 2 of the Mooncake paper', () => {
    expect(stats.requests).toBe(12_031);
    expect(Math.round(stats.inputTokens.mean)).toBe(12_035);
    expect(Math.round(stats.outputTokens.mean)).toBe(343);
    expect(stats.inputTokens.max).toBe(126_195);
    expect(stats.spanSec).toBe(3536.999);
  });

  it('counts block references and unique blocks', () => {
    expect(stats.blockReferences).toBe(288_500);
    expect(stats.uniqueBlocks).toBe(182_790);
    expect(stats.infiniteCacheHitRatio).toBeCloseTo(1 - 182_790 / 288_500, 12);
    expect(stats.blockIds).toBe('recorded');
  });

  it('infers sessions from block prefixes', () => {
    // Every request opens with block 0, a shared system prompt; 5,286 requests extend the whole
    // prompt of an earlier request (computed by an independent Python pass).
    expect(stats.sessions?.source).toBe('inferred');
    expect(stats.sessions?.count).toBe(6_745);
    expect(stats.sessions?.turnsPerSession.max).toBe(44);
  });
});

describe('computeTraceStats on the BurstGPT slice', () => {
  const stats = computeTraceStats(openTrace(burstPath, 'burstgpt'), { format: 'burstgpt', recordedBlockIds: false });

  it('finds 135 given sessions', () => {
    expect(stats.requests).toBe(400);
    expect(stats.sessions?.source).toBe('given');
    expect(stats.sessions?.count).toBe(135);
    expect(stats.sessions?.turnsPerSession.p50).toBe(2);
    expect(stats.sessions?.turnsPerSession.p90).toBe(5);
    expect(stats.sessions?.turnsPerSession.max).toBe(24);
  });

  it('measures think times to the second', () => {
    const think = stats.sessions!.thinkTimeSec;
    expect(think.p50).toBe(116);
    expect(Math.round(think.p10)).toBe(18);
    expect(Math.round(think.p90)).toBe(1372);
    expect(Math.round(think.p99)).toBe(5187);
    expect(stats.sessions?.negativeThinkTimes).toBe(0);
  });

  it('measures response tokens', () => {
    expect(stats.outputTokens.p50).toBe(101);
    expect(stats.blockIds).toBe('assigned');
  });
});

describe('computeTraceStats on the Azure trace', () => {
  it('reports no sessions and no reuse', () => {
    const stats = computeTraceStats(openTrace(azurePath, 'azure'), { format: 'azure', recordedBlockIds: false });
    expect(stats.requests).toBe(19_366);
    expect(stats.sessions).toBeNull();
    expect(stats.infiniteCacheHitRatio).toBe(0);
    expect(stats.inputTokens.p50).toBe(1020);
  });
});

describe('detectTraceFormat', () => {
  it('recognises each shipped trace', () => {
    expect(detectTraceFormat(mooncakePath)).toBe('mooncake');
    expect(detectTraceFormat(burstPath)).toBe('burstgpt');
    expect(detectTraceFormat(azurePath)).toBe('azure');
  });
});

describe('QuantileHistogram', () => {
  it('interpolates exact small integers', () => {
    const histogram = new QuantileHistogram();
    for (const value of [1, 2, 3, 4, 10]) histogram.record(value);
    expect(histogram.quantile(0.5)).toBe(3);
    expect(histogram.quantile(0.9)).toBeCloseTo(7.6, 12);
    expect(histogram.mean()).toBe(4);
  });

  it('keeps large values within 2^-13', () => {
    const histogram = new QuantileHistogram();
    histogram.record(123_456_789);
    const value = histogram.quantile(0.5);
    expect(value).toBeLessThanOrEqual(123_456_789);
    expect((123_456_789 - value) / 123_456_789).toBeLessThan(2 ** -13);
    expect(histogram.max).toBe(123_456_789);
  });

  it('returns a nearest-rank table', () => {
    const histogram = new QuantileHistogram();
    for (let value = 1; value <= 10; value++) histogram.record(value);
    expect(histogram.quantileTable(5)).toEqual([2, 4, 6, 8, 10]);
  });
});

describe('BlockIdSet', () => {
  it('counts distinct ids across growth', () => {
    const set = new BlockIdSet();
    for (let id = 0; id < 10_000; id++) expect(set.add(id * 2 ** 30, 1)).toBe(0);
    expect(set.add(2 ** 30, 2)).toBe(1);
    expect(set.add(2 ** 30, 1)).toBe(3);
    expect(set.size).toBe(10_000);
  });
});

describe('SessionInference', () => {
  it('continues a session whose whole prompt is a prefix', () => {
    const inference = new SessionInference(2, 1e12);
    const ids = (...values: number[]) => Float64Array.from(values);
    expect(inference.assign(0, 4, ids(1, 2), 2)).toBe(0);
    // Extends [1, 2]: same session.
    expect(inference.assign(1, 7, ids(1, 2, 3, 4), 4)).toBe(0);
    // Shares only block 1: a new session.
    expect(inference.assign(2, 4, ids(1, 5), 2)).toBe(1);
    // Extends session 0's latest full blocks [1, 2, 3].
    expect(inference.assign(3, 8, ids(1, 2, 3, 6), 4)).toBe(0);
  });

  it('forgets sessions after the gap', () => {
    const inference = new SessionInference(2, 10);
    const record = createRequestRecord(2);
    record.promptBlockIds.set([1, 2]);
    expect(inference.assign(0, 4, record.promptBlockIds, 2)).toBe(0);
    expect(inference.assign(100, 4, record.promptBlockIds, 2)).toBe(1);
  });
});
