import { describe, expect, it } from 'vitest';

import { createRequestRecord, type RequestRecord } from '../../workloads/request.js';
import {
  SyntheticConfigError,
  SyntheticWorkload,
  syntheticWorkloadSchema,
  type SyntheticWorkloadInput,
} from '../../workloads/synthetic.js';

/** A plain copy of a record, safe to keep after the record is reused. */
interface Request {
  arrivalAt: number;
  sessionId: number;
  turn: number;
  inputTokens: number;
  outputTokens: number;
  promptBlockIds: number[];
  contextBlockIds: number[];
}

function snapshot(record: RequestRecord): Request {
  return {
    arrivalAt: record.arrivalAt,
    sessionId: record.sessionId,
    turn: record.turn,
    inputTokens: record.inputTokens,
    outputTokens: record.outputTokens,
    promptBlockIds: Array.from(record.promptBlockIds.subarray(0, record.promptBlockCount)),
    contextBlockIds: Array.from(record.contextBlockIds.subarray(0, record.contextBlockCount)),
  };
}

/** Service time of a turn in the test drivers: 1 s plus 1 ms per session and turn, in ns. */
function serviceNs(request: Request): number {
  return 1_000_000_000 + (request.sessionId % 7) * 1_000_000 + request.turn * 1_000_000;
}

/** Runs every session to its end before starting the next one. */
function driveDepthFirst(workload: SyntheticWorkload): Request[] {
  const requests: Request[] = [];
  const record = createRequestRecord(4);
  while (workload.nextArrival(record)) {
    requests.push(snapshot(record));
    let previous = requests[requests.length - 1];
    while (workload.nextTurn(record, previous.arrivalAt + serviceNs(previous), record)) {
      requests.push(snapshot(record));
      previous = requests[requests.length - 1];
    }
  }
  return requests;
}

/** Runs sessions interleaved in time order, as the simulator does: turns complete after serviceNs. */
function driveInTimeOrder(workload: SyntheticWorkload): Request[] {
  const requests: Request[] = [];
  const record = createRequestRecord(4);
  const inFlight: Request[] = [];
  let pendingArrival = workload.nextArrival(record) ? snapshot(record) : undefined;

  while (pendingArrival !== undefined || inFlight.length > 0) {
    let earliest = -1;
    for (let i = 0; i < inFlight.length; i++) {
      const completedAt = inFlight[i].arrivalAt + serviceNs(inFlight[i]);
      if (earliest < 0 || completedAt < inFlight[earliest].arrivalAt + serviceNs(inFlight[earliest])) {
        earliest = i;
      }
    }
    const completion = earliest < 0 ? Infinity : inFlight[earliest].arrivalAt + serviceNs(inFlight[earliest]);
    if (pendingArrival !== undefined && pendingArrival.arrivalAt <= completion) {
      requests.push(pendingArrival);
      inFlight.push(pendingArrival);
      pendingArrival = workload.nextArrival(record) ? snapshot(record) : undefined;
      continue;
    }
    const [completed] = inFlight.splice(earliest, 1);
    const completedRecord = createRequestRecord(4);
    completedRecord.sessionId = completed.sessionId;
    completedRecord.turn = completed.turn;
    if (workload.nextTurn(completedRecord, completion, record)) {
      const next = snapshot(record);
      requests.push(next);
      inFlight.push(next);
    }
  }
  return requests;
}

function bySessionAndTurn(requests: Request[]): Request[] {
  return [...requests].sort((a, b) => a.sessionId - b.sessionId || a.turn - b.turn);
}

/** Groups requests into sessions, each sorted by turn. */
function sessionsOf(requests: Request[]): Request[][] {
  const sessions: Request[][] = [];
  for (const request of bySessionAndTurn(requests)) {
    (sessions[request.sessionId] ??= []).push(request);
  }
  return sessions;
}

const small: SyntheticWorkloadInput = { sessions: 200, sessionRatePerSec: 2 };

describe('SyntheticWorkload determinism', () => {
  it('repeats the request stream for a seed', () => {
    const first = driveDepthFirst(new SyntheticWorkload(small, 42));
    const second = driveDepthFirst(new SyntheticWorkload(small, 42));
    expect(second).toEqual(first);
  });

  it('changes the request stream with the seed', () => {
    const first = driveDepthFirst(new SyntheticWorkload(small, 42));
    const other = driveDepthFirst(new SyntheticWorkload(small, 43));
    expect(other).not.toEqual(first);
  });

  it('gives each session the same turns in any completion order', () => {
    const depthFirst = driveDepthFirst(new SyntheticWorkload(small, 7));
    const timeOrdered = driveInTimeOrder(new SyntheticWorkload(small, 7));
    expect(bySessionAndTurn(timeOrdered)).toEqual(bySessionAndTurn(depthFirst));
  });

  it('keeps prompt lengths when think times change', () => {
    const base = driveDepthFirst(new SyntheticWorkload(small, 7));
    const slower = driveDepthFirst(new SyntheticWorkload({ ...small, thinkTimeSec: { kind: 'constant', value: 5 } }, 7));
    expect(slower.map((request) => request.inputTokens)).toEqual(base.map((request) => request.inputTokens));
  });
});

describe('SyntheticWorkload block ids', () => {
  const config: SyntheticWorkloadInput = { sessions: 100, systemPromptTokens: 1000, blockTokens: 256 };
  const sessions = sessionsOf(driveDepthFirst(new SyntheticWorkload(config, 3)));

  it('counts blocks from token lengths', () => {
    for (const session of sessions) {
      for (const request of session) {
        expect(request.promptBlockIds.length).toBe(Math.ceil(request.inputTokens / 256));
        expect(request.contextBlockIds.length).toBe(Math.ceil((request.inputTokens + request.outputTokens) / 256));
      }
    }
  });

  it('starts the next prompt with the full blocks of the context', () => {
    for (const session of sessions) {
      for (let turn = 0; turn + 1 < session.length; turn++) {
        const context = session[turn];
        const fullBlocks = Math.floor((context.inputTokens + context.outputTokens) / 256);
        expect(session[turn + 1].promptBlockIds.slice(0, fullBlocks)).toEqual(context.contextBlockIds.slice(0, fullBlocks));
      }
    }
  });

  it('shares only the system prompt blocks across sessions', () => {
    // 1,000 system tokens fill 3 blocks of 256; the 4th block mixes in the session's own tokens.
    const first = new Set(sessions[0].flatMap((request) => request.contextBlockIds));
    const second = sessions[1].flatMap((request) => request.contextBlockIds);
    const shared = new Set(second.filter((id) => first.has(id)));
    expect(shared).toEqual(new Set(sessions[0][0].promptBlockIds.slice(0, 3)));
    expect(sessions[1][0].promptBlockIds.slice(0, 3)).toEqual(sessions[0][0].promptBlockIds.slice(0, 3));
  });

  it('renames a partial tail once it fills', () => {
    let partialTails = 0;
    for (const session of sessions) {
      for (let turn = 0; turn + 1 < session.length; turn++) {
        const contextTokens = session[turn].inputTokens + session[turn].outputTokens;
        if (contextTokens % 256 === 0) {
          continue;
        }
        const tailIndex = Math.floor(contextTokens / 256);
        expect(session[turn + 1].promptBlockIds[tailIndex]).not.toBe(session[turn].contextBlockIds[tailIndex]);
        partialTails++;
      }
    }
    expect(partialTails).toBeGreaterThan(100);
  });

  it('gives the prompt tail its own id', () => {
    for (const session of sessions) {
      for (const request of session) {
        if (request.inputTokens % 256 !== 0) {
          const tailIndex = request.promptBlockIds.length - 1;
          expect(request.promptBlockIds[tailIndex]).not.toBe(request.contextBlockIds[tailIndex]);
        }
      }
    }
  });

  it('uses safe non-negative integer ids', () => {
    for (const session of sessions) {
      for (const id of session.flatMap((request) => request.contextBlockIds)) {
        expect(Number.isSafeInteger(id)).toBe(true);
        expect(id).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('shares nothing without a system prompt', () => {
    const noSystem = sessionsOf(driveDepthFirst(new SyntheticWorkload({ ...config, systemPromptTokens: 0 }, 3)));
    const first = new Set(noSystem[0].flatMap((request) => request.contextBlockIds));
    expect(noSystem[1].flatMap((request) => request.contextBlockIds).some((id) => first.has(id))).toBe(false);
  });
});

describe('SyntheticWorkload sessions', () => {
  it('issues non-decreasing session arrivals', () => {
    const workload = new SyntheticWorkload({ sessions: 2000, sessionRatePerSec: 50 }, 9);
    const record = createRequestRecord();
    let previous = -1;
    let count = 0;
    while (workload.nextArrival(record)) {
      expect(record.turn).toBe(0);
      expect(record.arrivalAt).toBeGreaterThanOrEqual(previous);
      previous = record.arrivalAt;
      count++;
    }
    expect(count).toBe(2000);
  });

  it('matches the session rate', () => {
    // The last of n Poisson arrivals at rate r has mean n / r and standard deviation sqrt(n) / r.
    const workload = new SyntheticWorkload({ sessions: 10_000, sessionRatePerSec: 4 }, 9);
    const record = createRequestRecord();
    let lastAt = 0;
    while (workload.nextArrival(record)) {
      lastAt = record.arrivalAt;
    }
    expect(Math.abs(lastAt / 1e9 - 2500)).toBeLessThan((4 * Math.sqrt(10_000)) / 4);
  });

  it('adds think time after completion', () => {
    const workload = new SyntheticWorkload({ sessions: 50, thinkTimeSec: { kind: 'constant', value: 30 } }, 9);
    const record = createRequestRecord();
    while (workload.nextArrival(record)) {
      let completedAt = record.arrivalAt + 2e9;
      while (workload.nextTurn(record, completedAt, record)) {
        expect(record.arrivalAt).toBe(completedAt + 30e9);
        completedAt = record.arrivalAt + 2e9;
      }
    }
  });

  it('cuts think time at maxThinkTimeSec', () => {
    const config: SyntheticWorkloadInput = {
      sessions: 5,
      turns: { kind: 'constant', value: 3 },
      thinkTimeSec: { kind: 'constant', value: 100 },
      maxThinkTimeSec: 10,
    };
    const workload = new SyntheticWorkload(config, 9);
    const record = createRequestRecord();
    while (workload.nextArrival(record)) {
      const completedAt = record.arrivalAt + 1e9;
      expect(workload.nextTurn(record, completedAt, record)).toBe(true);
      expect(record.arrivalAt).toBe(completedAt + 10e9);
      workload.nextTurn(record, record.arrivalAt, record);
    }
  });

  it('rejects instants past 2^53 ns', () => {
    // A mean gap of 10^9 s between sessions passes the clock's range of about 104 days.
    const workload = new SyntheticWorkload({ sessions: 100, sessionRatePerSec: 1e-9 }, 9);
    const record = createRequestRecord();
    expect(() => {
      while (workload.nextArrival(record)) {
        // Drain until the clock overflows.
      }
    }).toThrow(/past the clock's exact range/);
  });

  it('grows the context turn by turn', () => {
    for (const session of sessionsOf(driveDepthFirst(new SyntheticWorkload(small, 5)))) {
      expect(session[0].inputTokens).toBeGreaterThan(1000);
      for (let turn = 0; turn < session.length; turn++) {
        expect(session[turn].turn).toBe(turn);
        if (turn > 0) {
          const previous = session[turn - 1];
          expect(session[turn].inputTokens).toBeGreaterThan(previous.inputTokens + previous.outputTokens);
        }
      }
    }
  });

  it('issues sessions times constant turns requests', () => {
    const requests = driveDepthFirst(new SyntheticWorkload({ sessions: 300, turns: { kind: 'constant', value: 5 } }, 1));
    expect(requests.length).toBe(1500);
  });

  it('issues every drawn turn of each session', () => {
    const config: SyntheticWorkloadInput = {
      sessions: 3000,
      turns: { kind: 'empirical', values: [1, 2, 3] },
      maxContextTokens: 1e9,
    };
    const sessions = sessionsOf(driveDepthFirst(new SyntheticWorkload(config, 1)));
    const counts = [0, 0, 0, 0];
    for (const session of sessions) {
      counts[session.length]++;
    }
    // Each count is binomial(3000, 1/3): standard deviation about 25.8.
    for (const turns of [1, 2, 3]) {
      expect(Math.abs(counts[turns] - 1000)).toBeLessThan(4 * Math.sqrt(3000 * (1 / 3) * (2 / 3)));
    }
    expect(counts[1] + 2 * counts[2] + 3 * counts[3]).toBe(sessions.flat().length);
  });

  it('matches mean turns and prompt tokens of the defaults', () => {
    const sessionCount = 20_000;
    const sessions = sessionsOf(driveDepthFirst(new SyntheticWorkload({ sessions: sessionCount, maxContextTokens: 1e9 }, 11)));
    const meanTurns = sessions.flat().length / sessionCount;
    // Geometric turns with mean 4.8: standard deviation 4.8 * sqrt(1 - 1 / 4.8).
    const turnsError = (4.8 * Math.sqrt(1 - 1 / 4.8)) / Math.sqrt(sessionCount);
    expect(Math.abs(meanTurns - 4.8)).toBeLessThan(4 * turnsError);

    // New prompt tokens per turn: lognormal with median 200 and p90 800, so sigma = ln(4) / z_0.9,
    // mean 200 * exp(sigma^2 / 2) and standard deviation mean * sqrt(exp(sigma^2) - 1).
    let promptSum = 0;
    let turnCount = 0;
    for (const session of sessions) {
      let contextTokens = 1000;
      for (const request of session) {
        promptSum += request.inputTokens - contextTokens;
        contextTokens = request.inputTokens + request.outputTokens;
        turnCount++;
      }
    }
    const sigma = Math.log(4) / 1.2815515655446004;
    const mean = 200 * Math.exp((sigma * sigma) / 2);
    const promptError = (mean * Math.sqrt(Math.exp(sigma * sigma) - 1)) / Math.sqrt(turnCount);
    expect(Math.abs(promptSum / turnCount - mean)).toBeLessThan(4 * promptError);
  });

  it('ends a session before it exceeds maxContextTokens', () => {
    const config: SyntheticWorkloadInput = {
      sessions: 100,
      turns: { kind: 'constant', value: 50 },
      maxContextTokens: 4000,
    };
    const sessions = sessionsOf(driveDepthFirst(new SyntheticWorkload(config, 2)));
    for (const session of sessions) {
      expect(session.length).toBeLessThan(50);
      for (const request of session.slice(1)) {
        expect(request.inputTokens + request.outputTokens).toBeLessThanOrEqual(4000);
      }
    }
  });

  it('keeps slot arrays at the active session count', () => {
    const workload = new SyntheticWorkload({ sessions: 5000 }, 4);
    driveDepthFirst(workload);
    const internals = workload as unknown as { slotSessionId: Int32Array; slotBySession: Map<number, number> };
    expect(internals.slotSessionId.length).toBe(64);
    expect(internals.slotBySession.size).toBe(0);
  });

  it('rejects a turn that was not the last issued', () => {
    const workload = new SyntheticWorkload({ sessions: 1, turns: { kind: 'constant', value: 3 } }, 4);
    const record = createRequestRecord();
    workload.nextArrival(record);
    const first = { ...record };
    workload.nextTurn(record, record.arrivalAt + 1e9, record);
    expect(() => workload.nextTurn(first, first.arrivalAt + 1e9, record)).toThrow(/turn 0 of session 0/);
  });

  it('returns false for sessions it does not know', () => {
    const workload = new SyntheticWorkload({ sessions: 1 }, 4);
    expect(workload.nextTurn(createRequestRecord(), 0, createRequestRecord())).toBe(false);
  });
});

describe('SyntheticWorkload configuration', () => {
  it('applies the documented defaults', () => {
    expect(syntheticWorkloadSchema.parse({})).toEqual({
      sessions: 1000,
      sessionRatePerSec: 1,
      turns: { kind: 'geometric', mean: 4.8 },
      promptTokens: { kind: 'lognormal', median: 200, p90: 800 },
      responseTokens: { kind: 'lognormal', median: 101, p90: 435 },
      thinkTimeSec: { kind: 'lognormal', median: 116, p90: 1372 },
      maxThinkTimeSec: 86_400,
      systemPromptTokens: 1000,
      blockTokens: 256,
      maxContextTokens: 131_072,
    });
  });

  it('accepts the scenario kind field', () => {
    expect(new SyntheticWorkload({ kind: 'synthetic', sessions: 3 } as SyntheticWorkloadInput, 1).config.sessions).toBe(3);
  });

  const invalid: [string, unknown, RegExp][] = [
    ['zero sessions', { sessions: 0 }, /field sessions: .*received 0/],
    ['negative rate', { sessionRatePerSec: -1 }, /field sessionRatePerSec: .*received -1/],
    ['turns that can be 0', { turns: { kind: 'exponential', mean: 3 } }, /field turns: .*>= 1/],
    ['bad distribution field', { promptTokens: { kind: 'uniform', min: 5, max: 1 } }, /field promptTokens\.max/],
    ['unknown key', { session: 5 }, /unknown field session; expected one of sessions, /],
    ['unknown distribution key', { turns: { kind: 'constant', value: 2, unit: 'turns' } }, /unknown field turns\.unit$/],
    ['system prompt past the context limit', { systemPromptTokens: 5000, maxContextTokens: 4096 }, /systemPromptTokens is 5000/],
  ];

  for (const [name, input, message] of invalid) {
    it(`rejects ${name}`, () => {
      let error: unknown;
      try {
        new SyntheticWorkload(input as SyntheticWorkloadInput, 1);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(SyntheticConfigError);
      expect((error as SyntheticConfigError).code).toBe('ERR_KVTIER_INPUT');
      expect((error as Error).message).toMatch(message);
    });
  }
});
