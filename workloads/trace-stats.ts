// Statistics of a request trace, computed in one streaming pass: request counts and rates, token
// percentiles, block reuse under an infinite cache, and sessions (given by the trace or inferred
// from block ids) with their turns and think times. Memory holds fixed-size histograms, the
// sessions active within one session gap, and one entry per distinct block id.

import { BlockIdSet, FIRST_FLAG } from './block-set.js';
import { DEFAULT_SESSION_GAP_SEC } from './burstgpt.js';
import { QuantileHistogram } from './histogram.js';
import { createRequestRecord } from './request.js';
import { SessionInference } from './session-inference.js';
import { ActiveSessions } from './active-sessions.js';
import type { TraceReader } from './trace-replay.js';

const NS_PER_SEC = 1e9;
const NS_PER_MS = 1e6;
const MS_PER_SEC = 1e3;
const SEEN_IN_PROMPT = FIRST_FLAG;
const SEEN_IN_CONTEXT = 2;
// Leading blocks compared when looking for a system prompt shared by most sessions.
const MAX_LEADING_BLOCKS = 64;

/** Percentiles and mean of one quantity, in the unit its name gives. */
export interface Summary {
  mean: number;
  p10: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface SessionStats {
  /** `given` when the trace names sessions, `inferred` when they were found from block ids. */
  source: 'given' | 'inferred';
  count: number;
  /** Session starts per second over the trace's span. */
  sessionRatePerSec: number;
  /** Coefficient of variation of the gaps between session starts. */
  sessionInterArrivalCv: number;
  turnsPerSession: Summary;
  /**
   * Seconds from a turn's end to the session's next turn: the gap between their arrivals minus the
   * earlier turn's elapsed time where the trace records it, otherwise the whole gap.
   */
  thinkTimeSec: Summary;
  /** Think times that came out negative (a turn sent before the previous one finished), counted as 0. */
  negativeThinkTimes: number;
}

export interface TraceStats {
  path: string;
  format: string;
  requests: number;
  /** Invalid lines skipped (with skip-bad-lines only). */
  skippedLines: number;
  /** Seconds from the first arrival to the last. */
  spanSec: number;
  /** Requests per second over the span. */
  requestRatePerSec: number;
  /** Coefficient of variation (standard deviation over mean) of the gaps between arrivals. */
  interArrivalCv: number;
  inputTokens: Summary;
  outputTokens: Summary;
  blockTokens: number;
  /** `recorded` when the trace gives block ids, `assigned` when kvtier made them up from token counts. */
  blockIds: 'recorded' | 'assigned';
  /** Prompt blocks summed over requests. */
  blockReferences: number;
  /** Distinct prompt block ids. */
  uniqueBlocks: number;
  /** Share of prompt block references found in an infinite cache of every earlier prompt and context block. */
  infiniteCacheHitRatio: number;
  /** Sessions, or null when the trace has neither session ids nor block ids to infer them from. */
  sessions: SessionStats | null;
}

export interface TraceStatsOptions {
  format: string;
  /** Whether the reader's block ids come from the trace. */
  recordedBlockIds: boolean;
  /** A session idle for longer than this many seconds has ended (default 86400). */
  sessionGapSec?: number;
}

/** The distributions behind the statistics, and per-turn ones that `fitWorkload` uses. */
export interface TurnHistograms {
  /** Input and output tokens of every request. */
  inputTokens: QuantileHistogram;
  outputTokens: QuantileHistogram;
  /** Turns of each session. */
  turnsPerSession: QuantileHistogram;
  /** Think times in ms. */
  thinkTimeMs: QuantileHistogram;
  /** New tokens of a session's first prompt. */
  firstInputTokens: QuantileHistogram;
  /** Tokens a later prompt adds to the session's previous prompt and response (negative values count as 0). */
  addedInputTokens: QuantileHistogram;
  /** Input tokens of turns after the first. */
  laterInputTokens: QuantileHistogram;
  /** Later turns whose prompt is shorter than the session's previous prompt and response. */
  shrinkingTurns: number;
  /**
   * Full blocks that each session's first prompt shares with the trace's first prompt, from the
   * head, up to 64; empty when the trace records no block ids.
   */
  sharedLeadingBlocks: QuantileHistogram;
}

/** Streams `reader` to its end and returns its statistics; the reader is closed. */
export function computeTraceStats(reader: TraceReader, options: TraceStatsOptions): TraceStats {
  return collectTraceStats(reader, options).stats;
}

/** Like `computeTraceStats`, also returning the per-turn histograms for fitting. */
export function collectTraceStats(reader: TraceReader, options: TraceStatsOptions): { stats: TraceStats; turns: TurnHistograms } {
  const sessionGapNs = (options.sessionGapSec ?? DEFAULT_SESSION_GAP_SEC) * NS_PER_SEC;
  const record = createRequestRecord(64);
  const input = new QuantileHistogram();
  const output = new QuantileHistogram();
  const turnCounts = new QuantileHistogram();
  const thinkMs = new QuantileHistogram();
  const turns: TurnHistograms = {
    inputTokens: input,
    outputTokens: output,
    turnsPerSession: turnCounts,
    thinkTimeMs: thinkMs,
    firstInputTokens: new QuantileHistogram(),
    addedInputTokens: new QuantileHistogram(),
    laterInputTokens: new QuantileHistogram(),
    shrinkingTurns: 0,
    sharedLeadingBlocks: new QuantileHistogram(),
  };
  // Full blocks of the trace's first prompt, the candidate shared system prompt.
  let leadingBlocks: Float64Array | null = null;
  const gaps = new RunningMoments();
  const sessionGaps = new RunningMoments();
  const blocks = new BlockIdSet();
  const sessions = new ActiveSessions(sessionGapNs);
  let sessionCount = 0;
  const inference = !reader.hasSessions && options.recordedBlockIds ? new SessionInference(reader.blockTokens, sessionGapNs) : null;
  const endSession = (slot: number) => turnCounts.record(sessions.turns[slot]);

  let requests = 0;
  let firstArrivalAt = NaN;
  let lastArrivalAt = NaN;
  let lastSessionStartAt = NaN;
  let blockReferences = 0;
  let uniqueBlocks = 0;
  let blockHits = 0;
  let negativeThinkTimes = 0;
  let sessionSource: 'given' | 'inferred' | null = inference === null ? null : 'inferred';

  try {
    while (reader.next(record)) {
      requests++;
      const arrivalAt = record.arrivalAt;
      if (Number.isNaN(firstArrivalAt)) firstArrivalAt = arrivalAt;
      else gaps.add((arrivalAt - lastArrivalAt) / NS_PER_SEC);
      lastArrivalAt = arrivalAt;
      input.record(record.inputTokens);
      output.record(record.outputTokens);

      blockReferences += record.promptBlockCount;
      for (let index = 0; index < record.promptBlockCount; index++) {
        const before = blocks.add(record.promptBlockIds[index], SEEN_IN_PROMPT);
        if (before !== 0) blockHits++;
        if ((before & SEEN_IN_PROMPT) === 0) uniqueBlocks++;
      }
      for (let index = 0; index < record.contextBlockCount; index++) blocks.add(record.contextBlockIds[index], SEEN_IN_CONTEXT);

      let sessionId = record.sessionId;
      if (inference !== null) sessionId = inference.assign(arrivalAt, record.inputTokens, record.promptBlockIds, record.promptBlockCount);
      else if (sessionId >= 0) sessionSource = 'given';
      sessions.expire(arrivalAt, endSession);
      if (sessionId < 0) continue;

      let slot = sessions.find(sessionId);
      if (slot < 0) {
        slot = sessions.open(sessionId);
        sessionCount++;
      }
      const turn = sessions.turns[slot];
      const previousArrivalAt = sessions.lastArrivalAt[slot];
      const previousElapsedNs = sessions.lastElapsedNs[slot];
      const previousContextTokens = sessions.lastContextTokens[slot];
      sessions.touch(slot, arrivalAt);
      sessions.lastElapsedNs[slot] = reader.elapsedNs;
      sessions.lastContextTokens[slot] = record.inputTokens + record.outputTokens;
      if (turn === 0) {
        if (!Number.isNaN(lastSessionStartAt)) sessionGaps.add((arrivalAt - lastSessionStartAt) / NS_PER_SEC);
        lastSessionStartAt = arrivalAt;
        turns.firstInputTokens.record(record.inputTokens);
        if (options.recordedBlockIds) {
          const fullBlocks = Math.min(MAX_LEADING_BLOCKS, Math.floor(record.inputTokens / reader.blockTokens), record.promptBlockCount);
          leadingBlocks ??= record.promptBlockIds.slice(0, fullBlocks);
          let shared = 0;
          while (shared < fullBlocks && shared < leadingBlocks.length && record.promptBlockIds[shared] === leadingBlocks[shared]) shared++;
          turns.sharedLeadingBlocks.record(shared);
        }
      } else {
        const elapsedNs = Number.isNaN(previousElapsedNs) ? 0 : previousElapsedNs;
        const thinkNs = arrivalAt - previousArrivalAt - elapsedNs;
        if (thinkNs < 0) negativeThinkTimes++;
        thinkMs.record(Math.max(0, thinkNs) / NS_PER_MS);
        const addedTokens = record.inputTokens - previousContextTokens;
        if (addedTokens < 0) turns.shrinkingTurns++;
        turns.addedInputTokens.record(Math.max(0, addedTokens));
        turns.laterInputTokens.record(record.inputTokens);
      }
    }
  } finally {
    reader.close();
  }
  sessions.endAll(endSession);

  const spanSec = requests === 0 ? 0 : (lastArrivalAt - firstArrivalAt) / NS_PER_SEC;
  const stats: TraceStats = {
    path: reader.path,
    format: options.format,
    requests,
    skippedLines: reader.skippedLines,
    spanSec,
    requestRatePerSec: spanSec > 0 ? requests / spanSec : NaN,
    interArrivalCv: gaps.cv(),
    inputTokens: summarize(input, 1),
    outputTokens: summarize(output, 1),
    blockTokens: reader.blockTokens,
    blockIds: options.recordedBlockIds ? 'recorded' : 'assigned',
    blockReferences,
    uniqueBlocks,
    infiniteCacheHitRatio: blockReferences === 0 ? NaN : blockHits / blockReferences,
    sessions:
      sessionSource === null
        ? null
        : {
            source: sessionSource,
            count: sessionCount,
            sessionRatePerSec: spanSec > 0 ? sessionCount / spanSec : NaN,
            sessionInterArrivalCv: sessionGaps.cv(),
            turnsPerSession: summarize(turnCounts, 1),
            thinkTimeSec: summarize(thinkMs, MS_PER_SEC),
            negativeThinkTimes,
          },
  };
  return { stats, turns };
}

/** Summarizes a histogram, dividing its values by `divisor` to convert units. */
export function summarize(histogram: QuantileHistogram, divisor: number): Summary {
  return {
    mean: histogram.mean() / divisor,
    p10: histogram.quantile(0.1) / divisor,
    p50: histogram.quantile(0.5) / divisor,
    p90: histogram.quantile(0.9) / divisor,
    p99: histogram.quantile(0.99) / divisor,
    max: histogram.count === 0 ? NaN : histogram.max / divisor,
  };
}

/** Mean and variance of a stream of values by Welford's method. */
class RunningMoments {
  private count = 0;
  private mean = 0;
  private squares = 0;

  add(value: number): void {
    this.count++;
    const delta = value - this.mean;
    this.mean += delta / this.count;
    this.squares += delta * (value - this.mean);
  }

  /** Population standard deviation over mean; NaN for fewer than two values or a zero mean. */
  cv(): number {
    if (this.count < 2 || this.mean === 0) return NaN;
    return Math.sqrt(this.squares / this.count) / this.mean;
  }
}
