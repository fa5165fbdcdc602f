// Fitting the synthetic generator to a trace. The fit reads the trace's statistics and turns each
// measured distribution into an empirical table of 100 quantiles, so that a workload regenerated
// from the fit reproduces the trace's medians and tails rather than those of an assumed shape.
// What the fit takes from the trace:
//   sessionRatePerSec  sessions (or, without sessions, requests) per second over the trace's span
//   arrivalCv          coefficient of variation of the gaps between session starts
//   turns              turns per session (1 when the trace has no sessions)
//   systemPromptTokens the leading full blocks that at least half the sessions' first prompts share
//                      with the trace's first prompt, when the trace records block ids
//   firstPromptTokens  input tokens of each session's first request, less the system prompt
//   promptTokens       tokens each later turn adds to the previous prompt and response, or, when
//                      more than 5% of later prompts are shorter than the previous context (the
//                      client truncated the history, as in BurstGPT), turnInputTokens: the whole
//                      prompt length of later turns
//   responseTokens     output tokens
//   thinkTimeSec       think times
//   durationSec        the trace's span, so that the regenerated trace covers the same window

import { QuantileHistogram } from './histogram.js';
import type { DistributionSpec } from './distributions.js';
import { TraceError } from './line-reader.js';
import type { SyntheticWorkloadInput } from './synthetic.js';
import type { TraceStats, TurnHistograms } from './trace-stats.js';

const TABLE_POINTS = 100;
/** Share of later turns with a shrinking prompt above which prompts are fitted whole. */
const MAX_SHRINKING_SHARE = 0.05;
const MAX_SESSIONS = 2 ** 31 - 1;

/** A fitted workload as `kvtier run --workload` reads it. */
export type FittedWorkload = SyntheticWorkloadInput & { kind: 'synthetic' };

/** Fits the synthetic generator to a trace's statistics and histograms. */
export function fitWorkload(stats: TraceStats, histograms: TurnHistograms): FittedWorkload {
  if (stats.requests < 2 || !(stats.spanSec > 0)) {
    throw new TraceError(
      stats.path,
      0,
      undefined,
      `a fit needs at least two requests at different instants, found ${stats.requests} requests over ${stats.spanSec} s`,
    );
  }
  const sessions = stats.sessions;
  const sessionCount = sessions?.count ?? stats.requests;
  const arrivalCv = sessions === null ? stats.interArrivalCv : sessions.sessionInterArrivalCv;
  const maxInput = stats.inputTokens.max;
  // The median of the shared leading blocks: at least half the sessions share this many.
  const sharedBlocks = histograms.sharedLeadingBlocks.count === 0 ? 0 : Math.floor(histograms.sharedLeadingBlocks.quantile(0.5));
  const systemPromptTokens = sharedBlocks * stats.blockTokens;
  const maxOutput = stats.outputTokens.max;

  const workload: FittedWorkload = {
    kind: 'synthetic',
    // Leaves durationSec as the limit that ends the workload.
    sessions: Math.min(MAX_SESSIONS, 2 * sessionCount + 100),
    sessionRatePerSec: sessionCount / stats.spanSec,
    turns: sessions === null ? { kind: 'constant', value: 1 } : table(histograms.turnsPerSession, 1, 1),
    firstPromptTokens: table(sessions === null ? histograms.inputTokens : histograms.firstInputTokens, 1, 1, systemPromptTokens),
    promptTokens: histograms.addedInputTokens.count === 0 ? { kind: 'constant', value: 1 } : table(histograms.addedInputTokens, 1, 1),
    responseTokens: table(histograms.outputTokens, 1, 1),
    systemPromptTokens,
    blockTokens: stats.blockTokens,
    maxContextTokens: Math.max(131_072, maxInput + maxOutput),
    durationSec: stats.spanSec,
  };
  const laterTurns = histograms.laterInputTokens.count;
  if (laterTurns > 0 && histograms.shrinkingTurns > MAX_SHRINKING_SHARE * laterTurns) {
    delete workload.promptTokens;
    workload.turnInputTokens = table(histograms.laterInputTokens, 1, 1);
  }
  if (histograms.thinkTimeMs.count > 0) {
    workload.thinkTimeSec = table(histograms.thinkTimeMs, 1000, 0);
    workload.maxThinkTimeSec = Math.max(86_400, histograms.thinkTimeMs.max / 1000);
  }
  if (Number.isFinite(arrivalCv) && arrivalCv > 0 && Math.abs(arrivalCv - 1) > 0.01) workload.arrivalCv = roundTo(arrivalCv, 4);
  return workload;
}

// An empirical distribution of 100 equally likely quantiles of `histogram`, divided by `divisor`,
// less `offset`, and at least `minimum`. A single repeated value becomes a constant.
function table(histogram: QuantileHistogram, divisor: number, minimum: number, offset = 0): DistributionSpec {
  const values = histogram.quantileTable(TABLE_POINTS).map((value) => Math.max(minimum, roundTo(value / divisor - offset, 3)));
  if (values.every((value) => value === values[0])) return { kind: 'constant', value: values[0] };
  return { kind: 'empirical', values };
}

function roundTo(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
