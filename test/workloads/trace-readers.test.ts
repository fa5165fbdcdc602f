import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import { AzureTraceReader } from '../../workloads/azure.js';
import { BurstGptTraceReader } from '../../workloads/burstgpt.js';
import { splitCsvLine } from '../../workloads/csv.js';
import { KvtierTraceReader } from '../../workloads/kvtier-trace.js';
import { TraceError } from '../../workloads/line-reader.js';
import { createRequestRecord, type RequestRecord } from '../../workloads/request.js';
import { ClosedLoopReplay, OpenLoopTrace, type TraceReader } from '../../workloads/trace-replay.js';
import { KvtierTraceWriter } from '../../workloads/trace-writer.js';

// Azure/AzurePublicDataset AzureLLMInferenceTrace_conv.csv and the first 400 rows of
// HPMLL/BurstGPT BurstGPT_3.csv (release v2.0), both CC-BY-4.0. Totals measured with Python's
// csv and datetime modules.
const azurePath = fileURLToPath(new URL('../fixtures/traces/azure2023_conv.csv', import.meta.url));
const burstPath = fileURLToPath(new URL('../fixtures/traces/burstgpt3_first400.csv', import.meta.url));

const directory = mkdtempSync(join(tmpdir(), 'kvtier-readers-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let fileCount = 0;
function writeFile(text: string): string {
  const path = join(directory, `trace-${fileCount++}`);
  writeFileSync(path, text);
  return path;
}

interface Totals {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  lastArrivalAt: number;
  sessions: Set<number>;
}

function readAll(reader: TraceReader): Totals {
  const record = createRequestRecord(4);
  const totals: Totals = { requests: 0, inputTokens: 0, outputTokens: 0, lastArrivalAt: 0, sessions: new Set() };
  while (reader.next(record)) {
    totals.requests++;
    totals.inputTokens += record.inputTokens;
    totals.outputTokens += record.outputTokens;
    totals.lastArrivalAt = record.arrivalAt;
    if (record.sessionId >= 0) totals.sessions.add(record.sessionId);
  }
  reader.close();
  return totals;
}

describe('splitCsvLine', () => {
  it('splits plain and quoted fields', () => {
    const fields: string[] = [];
    expect(splitCsvLine('a,"b,c",,"say ""hi"""', fields)).toBe(4);
    expect(fields).toEqual(['a', 'b,c', '', 'say "hi"']);
  });
});

describe('AzureTraceReader on the 2023 conversation trace', () => {
  it('reads every request with exact totals', () => {
    const totals = readAll(new AzureTraceReader(azurePath));
    expect(totals.requests).toBe(19_366);
    expect(totals.inputTokens).toBe(22_361_870);
    expect(totals.outputTokens).toBe(4_088_665);
    // 2023-11-16 18:15:46.6805900 to 19:14:08.4025270.
    expect(totals.lastArrivalAt).toBe(3_501_721_937_000);
    expect(totals.sessions.size).toBe(0);
  });

  it('gives each request its own blocks', () => {
    const reader = new AzureTraceReader(azurePath, { blockTokens: 256 });
    const first = createRequestRecord(4);
    const second = createRequestRecord(4);
    reader.next(first);
    reader.next(second);
    reader.close();
    expect(second.arrivalAt).toBe(4_314_579_000);
    expect(first.inputTokens).toBe(374);
    expect(first.promptBlockCount).toBe(2);
    expect(first.contextBlockCount).toBe(2);
    expect(second.promptBlockIds[0]).not.toBe(first.promptBlockIds[0]);
  });

  it('shares a declared prefix', () => {
    const reader = new AzureTraceReader(azurePath, { blockTokens: 64, sharedPrefixTokens: 128 });
    const first = createRequestRecord(4);
    const second = createRequestRecord(4);
    reader.next(first);
    reader.next(second);
    reader.close();
    expect(second.promptBlockIds[0]).toBe(first.promptBlockIds[0]);
    expect(second.promptBlockIds[1]).toBe(first.promptBlockIds[1]);
    expect(second.promptBlockIds[2]).not.toBe(first.promptBlockIds[2]);
  });

  it('names line, column and value of a bad row', () => {
    const path = writeFile('TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,374,44\n2023-11-16 18:15:47,3x4,44\n');
    const reader = new AzureTraceReader(path);
    const record = createRequestRecord(4);
    expect(reader.next(record)).toBe(true);
    expect(() => reader.next(record)).toThrow(/line 3: column "ContextTokens" is "3x4", expected a non-negative integer/);
    reader.close();
  });

  it('rejects a header without the columns', () => {
    const path = writeFile('time,tokens\n');
    expect(() => new AzureTraceReader(path)).toThrow(/header is missing columns "TIMESTAMP", "ContextTokens", "GeneratedTokens"/);
  });

  it('skips bad rows when asked and counts them', () => {
    const path = writeFile('TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,1,1\nnot a date,1,1\n2023-11-16 18:15:45,1,1\n2023-11-16 18:15:48,2,2\n');
    const reader = new AzureTraceReader(path, { skipBadLines: true });
    const totals = readAll(reader);
    expect(totals.requests).toBe(2);
    expect(reader.skippedLines).toBe(2);
    expect(totals.lastArrivalAt).toBe(2e9);
  });
});

describe('BurstGptTraceReader on the first 400 rows', () => {
  it('reads every row with exact totals and 135 sessions', () => {
    const totals = readAll(new BurstGptTraceReader(burstPath));
    expect(totals.requests).toBe(400);
    expect(totals.inputTokens).toBe(246_941);
    expect(totals.outputTokens).toBe(68_350);
    expect(totals.sessions.size).toBe(135);
    // Timestamps 19440110 s to 19481563 s.
    expect(totals.lastArrivalAt).toBe(41_453e9);
  });

  it('numbers turns and chains block ids within a session', () => {
    const reader = new BurstGptTraceReader(burstPath, { blockTokens: 256 });
    const rows: RequestRecord[] = [];
    for (let index = 0; index < 5; index++) {
      const record = createRequestRecord(4);
      reader.next(record);
      rows.push(record);
    }
    expect(reader.elapsedNs).toBe(26e9);
    reader.close();
    // Rows 1 and 5 are turns 0 and 1 of session 1722ac82 (906 then 1631 request tokens).
    expect(rows[0].sessionId).toBe(0);
    expect(rows[4].sessionId).toBe(0);
    expect(rows[4].turn).toBe(1);
    expect(rows[4].inputTokens).toBe(1631);
    // Turn 0's context holds 906 + 446 = 1352 tokens: 5 full blocks that turn 1's prompt reuses.
    for (let block = 0; block < 5; block++) expect(rows[4].promptBlockIds[block]).toBe(rows[0].contextBlockIds[block]);
    expect(rows[4].promptBlockIds[5]).not.toBe(rows[0].contextBlockIds[5]);
    expect(rows[1].sessionId).toBe(1);
    expect(rows[1].promptBlockIds[0]).not.toBe(rows[0].promptBlockIds[0]);
  });

  it('starts a new session after the session gap', () => {
    const header = 'Timestamp,Session ID,Elapsed time,Request tokens,Response tokens\n';
    const path = writeFile(`${header}0,a,1,10,10\n50,a,1,30,10\n200,a,1,50,10\n`);
    const reader = new BurstGptTraceReader(path, { sessionGapSec: 100 });
    const record = createRequestRecord(4);
    const seen: [number, number][] = [];
    while (reader.next(record)) seen.push([record.sessionId, record.turn]);
    reader.close();
    expect(seen).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
    ]);
  });

  it('rejects timestamps that go back', () => {
    const header = 'Timestamp,Session ID,Elapsed time,Request tokens,Response tokens\n';
    const path = writeFile(`${header}10,a,1,10,10\n5,b,1,10,10\n`);
    const reader = new BurstGptTraceReader(path);
    const record = createRequestRecord(4);
    reader.next(record);
    let error: unknown;
    try {
      reader.next(record);
    } catch (thrown) {
      error = thrown;
    }
    reader.close();
    expect(error).toBeInstanceOf(TraceError);
    expect((error as TraceError).code).toBe('ERR_KVTIER_INPUT');
    expect((error as TraceError).lineNumber).toBe(3);
    expect((error as TraceError).field).toBe('Timestamp');
    expect((error as TraceError).message).toMatch(/line 3: column "Timestamp" is "5", lower than 10 on line 2/);
  });
});

describe('BurstGPT replay', () => {
  it('open loop keeps the recorded instants', () => {
    const workload = new OpenLoopTrace(new BurstGptTraceReader(burstPath));
    const record = createRequestRecord(4);
    let count = 0;
    let last = 0;
    while (workload.nextArrival(record)) {
      count++;
      last = record.arrivalAt;
      expect(workload.nextTurn(record, record.arrivalAt + 1e9, record)).toBe(false);
    }
    workload.close();
    expect(count).toBe(400);
    expect(last).toBe(41_453e9);
  });

  it('closed loop adds the recorded think time to the completion', () => {
    const workload = new ClosedLoopReplay(new BurstGptTraceReader(burstPath), 86_400e9);
    const record = createRequestRecord(4);
    expect(workload.nextArrival(record)).toBe(true);
    expect(record.sessionId).toBe(0);
    expect(record.arrivalAt).toBe(0);
    // The next turn was recorded 191 s later, and the first took 43 s: a think time of 148 s.
    expect(workload.nextTurn(record, 10e9, record)).toBe(true);
    expect(record.turn).toBe(1);
    expect(record.inputTokens).toBe(1631);
    expect(record.arrivalAt).toBe(158e9);
    workload.close();
  });

  it('closed loop yields every row exactly once', () => {
    const workload = new ClosedLoopReplay(new BurstGptTraceReader(burstPath), 86_400e9);
    const pending: RequestRecord[] = [];
    const record = createRequestRecord(4);
    let requests = 0;
    let sessionStarts = 0;
    while (workload.nextArrival(record)) {
      requests++;
      if (record.turn === 0 && record.sessionId >= 0) sessionStarts++;
      // Complete each session at once, turn after turn, at its arrival.
      const turn = createRequestRecord(4);
      Object.assign(turn, { ...record, promptBlockIds: record.promptBlockIds.slice(), contextBlockIds: record.contextBlockIds.slice() });
      pending.push(turn);
      while (pending.length > 0) {
        const current = pending.pop()!;
        if (workload.nextTurn(current, current.arrivalAt, current)) {
          requests++;
          pending.push(current);
        }
      }
    }
    workload.close();
    expect(requests).toBe(400);
    expect(sessionStarts).toBe(135);
  });

  it('closed loop starts a session cut before its first turn', () => {
    const header = '{"format":"kvtier-trace","version":1,"block_tokens":4,"sessions":true}\n';
    const line = (arrivalNs: number, turn: number) =>
      `{"arrival_ns":${arrivalNs},"session":7,"turn":${turn},"input_tokens":8,"output_tokens":2,"elapsed_ns":1000}\n`;
    const path = writeFile(header + line(5000, 3) + line(9000, 4));
    const workload = new ClosedLoopReplay(new KvtierTraceReader(path), 1e12);
    const record = createRequestRecord(4);
    expect(workload.nextArrival(record)).toBe(true);
    expect([record.sessionId, record.turn, record.arrivalAt]).toEqual([7, 3, 5000]);
    // Think time: 9000 - 5000 - 1000 elapsed = 3000 ns after the simulated completion.
    expect(workload.nextTurn(record, 100_000, record)).toBe(true);
    expect([record.turn, record.arrivalAt]).toEqual([4, 103_000]);
    expect(workload.nextTurn(record, 200_000, record)).toBe(false);
    expect(workload.nextArrival(record)).toBe(false);
    workload.close();
  });

  it('closed loop rejects a trace without sessions', () => {
    expect(() => new ClosedLoopReplay(new AzureTraceReader(azurePath), 1e9)).toThrow(/needs a trace with session ids/);
  });
});

describe('kvtier JSONL', () => {
  it('round-trips records through the writer', () => {
    const path = join(directory, 'round-trip.jsonl');
    const writer = new KvtierTraceWriter(path, 4, { sessions: true });
    const record = createRequestRecord(4);
    Object.assign(record, { arrivalAt: 1500, sessionId: 3, turn: 1, inputTokens: 6, outputTokens: 3, tenant: 2, promptBlockCount: 2, contextBlockCount: 3 });
    record.promptBlockIds.set([11, 12]);
    record.contextBlockIds.set([11, 13, 14]);
    writer.write(record, 2_000_000);
    writer.close();

    const reader = new KvtierTraceReader(path);
    const read = createRequestRecord(1);
    expect(reader.next(read)).toBe(true);
    expect(reader.blockTokens).toBe(4);
    expect(reader.hasSessions).toBe(true);
    expect(reader.elapsedNs).toBe(2_000_000);
    expect([read.arrivalAt, read.sessionId, read.turn, read.inputTokens, read.outputTokens, read.tenant]).toEqual([1500, 3, 1, 6, 3, 2]);
    expect(Array.from(read.promptBlockIds.subarray(0, read.promptBlockCount))).toEqual([11, 12]);
    expect(Array.from(read.contextBlockIds.subarray(0, read.contextBlockCount))).toEqual([11, 13, 14]);
    expect(reader.next(read)).toBe(false);
    reader.close();
  });

  it('assigns chained ids when hash_ids is absent', () => {
    const header = '{"format":"kvtier-trace","version":1,"block_tokens":4,"sessions":true}\n';
    const path = writeFile(`${header}{"arrival_ns":0,"session":0,"turn":0,"input_tokens":8,"output_tokens":4}\n{"arrival_ns":5,"session":0,"turn":1,"input_tokens":14,"output_tokens":1}\n`);
    const reader = new KvtierTraceReader(path);
    const first = createRequestRecord(1);
    const second = createRequestRecord(1);
    reader.next(first);
    reader.next(second);
    reader.close();
    expect(first.promptBlockCount).toBe(2);
    expect(second.promptBlockCount).toBe(4);
    for (let block = 0; block < 3; block++) expect(second.promptBlockIds[block]).toBe(first.contextBlockIds[block]);
  });

  it('names the field of a bad line', () => {
    const header = '{"format":"kvtier-trace","version":1,"block_tokens":4}\n';
    const path = writeFile(`${header}{"arrival_ns":0,"input_tokens":8,"output_tokens":4,"hash_ids":[1]}\n`);
    const reader = new KvtierTraceReader(path);
    expect(() => reader.next(createRequestRecord(1))).toThrow(/line 2: field "hash_ids" has 1 entries, expected 2/);
    reader.close();
  });

  it('rejects a file without the header', () => {
    const path = writeFile('{"timestamp":0}\n');
    expect(() => new KvtierTraceReader(path)).toThrow(/line 1: the first line is .*expected a header line/);
  });
});
