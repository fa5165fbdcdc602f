import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import { forEachMooncakeRequest, MooncakeTrace, TraceError } from '../../workloads/mooncake.js';
import { createRequestRecord } from '../../workloads/request.js';

// The conversation trace of Mooncake's FAST'25 release (kvcache-ai/Mooncake,
// FAST25-release/traces/conversation_trace.jsonl). Totals measured with Python's json module.
const tracePath = fileURLToPath(new URL('../../workloads/data/mooncake_conversation_trace.jsonl', import.meta.url));
const TRACE_REQUESTS = 12_031;
const TRACE_BLOCK_REFERENCES = 288_500;
const TRACE_INPUT_TOKENS = 144_793_823;
const TRACE_OUTPUT_TOKENS = 4_122_048;
const TRACE_LAST_TIMESTAMP_MS = 3_536_999;

const directory = mkdtempSync(join(tmpdir(), 'kvtier-mooncake-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

let fileCount = 0;
function writeTrace(lines: string[]): string {
  const path = join(directory, `trace-${fileCount++}.jsonl`);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

function line(fields: Record<string, unknown>): string {
  return JSON.stringify({ timestamp: 0, input_length: 1000, output_length: 10, hash_ids: [1, 2], ...fields });
}

describe('MooncakeTrace on the conversation trace', () => {
  it('reads the first request', () => {
    const trace = new MooncakeTrace(tracePath);
    const record = createRequestRecord(4);
    expect(trace.nextArrival(record)).toBe(true);
    trace.close();

    expect(record.arrivalAt).toBe(0);
    expect(record.sessionId).toBe(-1);
    expect(record.turn).toBe(0);
    expect(record.inputTokens).toBe(6758);
    expect(record.outputTokens).toBe(500);
    expect(record.promptBlockCount).toBe(14);
    expect(Array.from(record.promptBlockIds.subarray(0, 14))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(record.contextBlockCount).toBe(0);
    expect(trace.blockTokens).toBe(512);
  });

  it('totals requests, blocks and tokens', () => {
    const trace = new MooncakeTrace(tracePath);
    const record = createRequestRecord();
    let requests = 0;
    let blockReferences = 0;
    let inputTokens = 0;
    let outputTokens = 0;
    let previousArrivalAt = 0;
    let ordered = true;
    while (trace.nextArrival(record)) {
      requests++;
      blockReferences += record.promptBlockCount;
      inputTokens += record.inputTokens;
      outputTokens += record.outputTokens;
      ordered &&= record.arrivalAt >= previousArrivalAt;
      previousArrivalAt = record.arrivalAt;
    }
    trace.close();

    expect(requests).toBe(TRACE_REQUESTS);
    expect(blockReferences).toBe(TRACE_BLOCK_REFERENCES);
    expect(inputTokens).toBe(TRACE_INPUT_TOKENS);
    expect(outputTokens).toBe(TRACE_OUTPUT_TOKENS);
    expect(ordered).toBe(true);
    expect(previousArrivalAt).toBe(TRACE_LAST_TIMESTAMP_MS * 1_000_000);
  });

  it('has no closed-loop turns', () => {
    const trace = new MooncakeTrace(tracePath);
    const record = createRequestRecord();
    trace.nextArrival(record);
    expect(trace.nextTurn(record, 1e9, record)).toBe(false);
    trace.close();
  });
});

describe('forEachMooncakeRequest', () => {
  it('visits every request with its line number', () => {
    let requests = 0;
    let blockReferences = 0;
    let lastLineNumber = 0;
    forEachMooncakeRequest(tracePath, (record, lineNumber) => {
      requests++;
      blockReferences += record.promptBlockCount;
      lastLineNumber = lineNumber;
    });
    expect(requests).toBe(TRACE_REQUESTS);
    expect(blockReferences).toBe(TRACE_BLOCK_REFERENCES);
    expect(lastLineNumber).toBe(TRACE_REQUESTS);
  });

  it('skips blank lines and keeps line numbers', () => {
    const path = writeTrace([line({ timestamp: 5 }), '', '   ', line({ timestamp: 7 })]);
    const seen: [number, number][] = [];
    forEachMooncakeRequest(path, (record, lineNumber) => seen.push([lineNumber, record.arrivalAt]));
    expect(seen).toEqual([
      [1, 5_000_000],
      [4, 7_000_000],
    ]);
  });

  it('honours another block size', () => {
    const path = writeTrace([line({ input_length: 1000, hash_ids: [1, 2, 3, 4] })]);
    let count = 0;
    forEachMooncakeRequest(path, (record) => (count = record.promptBlockCount), { blockTokens: 256 });
    expect(count).toBe(4);
  });
});

describe('Mooncake malformed input', () => {
  const cases: [string, string[], number, string][] = [
    ['invalid JSON', [line({}), '{"timestamp": 0,'], 2, 'invalid JSON'],
    ['a non-object line', ['[1, 2]'], 1, 'expected a JSON object'],
    ['missing timestamp', ['{"input_length": 10, "output_length": 1, "hash_ids": [1]}'], 1, 'missing field "timestamp"'],
    ['missing hash_ids', ['{"timestamp": 0, "input_length": 10, "output_length": 1}'], 1, 'missing field "hash_ids"'],
    ['string input_length', [line({ input_length: '1000' })], 1, 'field "input_length" is "1000", expected a non-negative integer'],
    ['negative output_length', [line({ output_length: -3 })], 1, 'field "output_length" is -3'],
    ['fractional timestamp', [line({ timestamp: 1.5 })], 1, 'field "timestamp" is 1.5'],
    ['hash_ids not an array', [line({ hash_ids: 7 })], 1, 'field "hash_ids" is 7'],
    ['negative hash id', [line({ hash_ids: [1, -2] })], 1, 'field "hash_ids" entry 1 is -2'],
    ['fractional hash id', [line({ hash_ids: [0.5, 2] })], 1, 'field "hash_ids" entry 0 is 0.5'],
    ['string hash id', [line({ hash_ids: [1, '2'] })], 1, 'field "hash_ids" entry 1 is "2"'],
    ['wrong block count', [line({ input_length: 1500 })], 1, 'field "hash_ids" has 2 entries, expected ceil(input_length 1500'],
    [
      'decreasing timestamp',
      [line({ timestamp: 10 }), '', line({ timestamp: 9 })],
      3,
      'field "timestamp" is 9, lower than 10 on line 1',
    ],
  ];

  for (const [name, lines, lineNumber, detail] of cases) {
    it(`rejects ${name}`, () => {
      const path = writeTrace(lines);
      let error: unknown;
      try {
        forEachMooncakeRequest(path, () => {});
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(TraceError);
      const traceError = error as TraceError;
      expect(traceError.code).toBe('ERR_KVTIER_INPUT');
      expect(traceError.message).toContain(path);
      expect(traceError.message).toContain(`line ${lineNumber}`);
      expect(traceError.message).toContain(detail);
      expect(traceError.lineNumber).toBe(lineNumber);
    });
  }

  it('reports the same errors from MooncakeTrace', () => {
    const path = writeTrace([line({}), line({ output_length: 'many' })]);
    const trace = new MooncakeTrace(path);
    const record = createRequestRecord();
    expect(trace.nextArrival(record)).toBe(true);
    expect(() => trace.nextArrival(record)).toThrow(`${path}, line 2: field "output_length" is "many"`);
    trace.close();
  });

  it('names the field on the error', () => {
    const path = writeTrace([line({ hash_ids: [1, null] })]);
    expect(() => forEachMooncakeRequest(path, () => {})).toThrow(expect.objectContaining({ field: 'hash_ids' }));
  });

  it('rejects a missing file', () => {
    expect(() => new MooncakeTrace(join(directory, 'absent.jsonl'))).toThrow(TraceError);
  });
});
