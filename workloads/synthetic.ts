// Closed-loop multi-turn chat sessions. Sessions start at the instants of a Poisson process. Each
// session draws its number of turns, and each turn sends the whole conversation so far (a system
// prompt shared by all sessions, every earlier prompt and response) plus a new user prompt. The
// next turn arrives one think time after the simulator reports the previous turn complete.
//
// Per-turn draws (prompt and response lengths, think times) come from counter-based substreams
// keyed by session id. A session's requests are therefore the same whatever order the simulator
// completes turns in, so two policies compared on one seed see identical conversations.

import { z } from 'zod';

import {
  createSampler,
  describeDistribution,
  distributionMinimum,
  distributionSchema,
  type DistributionSpec,
} from './distributions.js';
import { CounterRng, createRng, drawKey32, hash53 } from './random.js';
import { reserveBlocks, type RequestRecord, type Workload } from './request.js';

// workloads/ may not import sim/, so the clock's unit is restated here: integer nanoseconds.
const NS_PER_SEC = 1_000_000_000;

/** Bound on session counts and block sizes, so they fit Int32Array slots and 32-bit hash words. */
const MAX_INT32 = 2 ** 31 - 1;

/** Substream of the shared system prompt in block-id hashes. Session ids stay below it. */
const SYSTEM_PROMPT_SUBSTREAM = 0xffffffff;

const INITIAL_SLOTS = 64;

const systemPromptSchema = z.strictObject({
  tokens: z.number().int().min(0).describe('tokens of this system prompt'),
  weight: z.number().positive().default(1).describe('relative popularity: share of sessions that open with it (default 1)'),
});

const diurnalSchema = z
  .strictObject({
    hourlyWeights: z.array(z.number().nonnegative()).length(24).describe('relative session start rate in each hour of the day'),
    startHour: z.number().int().min(0).max(23).default(0).describe('hour of the day at simulated time 0 (default 0)'),
  })
  .refine((spec) => spec.hourlyWeights.some((weight) => weight > 0), {
    message: 'diurnal hourlyWeights must include at least one positive weight',
    path: ['hourlyWeights'],
  });

const turnsSchema = distributionSchema.refine((spec) => distributionMinimum(spec) >= 1, {
  message: 'turns must be a distribution of values >= 1, such as geometric or constant',
});

/**
 * Configuration of the synthetic chat workload. Every field has a default, so `{}` is a valid
 * configuration. Token counts drawn from a distribution are rounded to the nearest integer.
 */
export const syntheticWorkloadSchema = z.strictObject({
  sessions: z
    .number()
    .int()
    .min(1)
    .max(MAX_INT32)
    .default(1000)
    .describe('number of sessions to start (default 1000)'),
  sessionRatePerSec: z
    .number()
    .positive()
    .default(1)
    .describe('mean rate of session starts, a Poisson process, in sessions per second (default 1)'),
  turns: turnsSchema
    .default({ kind: 'geometric', mean: 4.8 })
    .describe('turns per session, rounded to an integer (default geometric with mean 4.8)'),
  // NOTE: an assumption, not fitted to data. The shipped traces record whole prompts, history
  // included, never the new user message alone.
  promptTokens: distributionSchema
    .default({ kind: 'lognormal', median: 200, p90: 800 })
    .describe('new user tokens per turn, at least 1 (default lognormal, median 200, p90 800)'),
  // Fitted to the 394 conversation rows among the first 400 rows of BurstGPT_3.csv (BurstGPT
  // release v2.0), whose response tokens have p50 101 and p90 435.
  responseTokens: distributionSchema
    .default({ kind: 'lognormal', median: 101, p90: 435 })
    .describe('generated tokens per turn, at least 1 (default lognormal, median 101, p90 435)'),
  // Fitted to the 135 sessions in the same BurstGPT rows, whose think times (gap between turns
  // minus the previous request's elapsed time) have p50 116 s and p90 1,372 s.
  thinkTimeSec: distributionSchema
    .default({ kind: 'lognormal', median: 116, p90: 1372 })
    .describe('seconds from a turn completing to the next turn arriving (default lognormal, median 116, p90 1372)'),
  maxThinkTimeSec: z
    .number()
    .positive()
    .default(86_400)
    .describe('think-time draws above this many seconds are cut to it (default 86400, one day)'),
  systemPromptTokens: z
    .number()
    .int()
    .min(0)
    .default(1000)
    .describe('tokens of the system prompt that opens every session (default 1000)'),
  blockTokens: z.number().int().min(1).max(MAX_INT32).default(256).describe('tokens per KV block (default 256)'),
  maxContextTokens: z
    .number()
    .int()
    .min(1)
    .default(131_072)
    .describe('a session ends before a later turn whose prompt plus response would exceed this many tokens (default 131072)'),
  arrivalCv: z
    .number()
    .positive()
    .optional()
    .describe('coefficient of variation of the gaps between session starts, drawn from a gamma; 1 or absent is a Poisson process, above 1 is burstier'),
  diurnal: diurnalSchema
    .optional()
    .describe('hourly rate curve: session starts per hour follow hourlyWeights, scaled so that their mean rate stays sessionRatePerSec'),
  systemPrompts: z
    .array(systemPromptSchema)
    .min(1)
    .optional()
    .describe('several system prompts (prefix groups), each session opening with one drawn by weight; replaces systemPromptTokens'),
  tenantWeights: z
    .array(z.number().positive())
    .min(1)
    .optional()
    .describe('one weight per tenant: each session belongs to tenant i with probability proportional to weight i (absent: one tenant)'),
  firstPromptTokens: distributionSchema
    .optional()
    .describe("new user tokens of a session's first turn, at least 1 (absent: drawn like promptTokens)"),
  turnInputTokens: distributionSchema
    .optional()
    .describe(
      'whole prompt length of each turn after the first, history included; when set, prompts no longer grow by promptTokens, and each shares the previous context up to the shorter of the two',
    ),
  durationSec: z
    .number()
    .positive()
    .optional()
    .describe('no session starts and no turn arrives after this many seconds (absent: no limit)'),
});

/** A configuration as written in a file, with every field optional. */
export type SyntheticWorkloadInput = z.input<typeof syntheticWorkloadSchema>;
/** A resolved configuration, defaults applied. */
export type SyntheticWorkloadConfig = z.output<typeof syntheticWorkloadSchema>;

// A scenario's workload section may still carry its `kind: 'synthetic'` tag.
const constructorSchema = syntheticWorkloadSchema.extend({ kind: z.literal('synthetic').optional() });

/** Invalid synthetic workload configuration. The CLI exits with status 2 on `ERR_KVTIER_INPUT`. */
export class SyntheticConfigError extends Error {
  readonly code = 'ERR_KVTIER_INPUT';

  constructor(message: string) {
    super(message);
    this.name = 'SyntheticConfigError';
  }
}

/** The closed-loop chat generator described at the top of this file. */
export class SyntheticWorkload implements Workload {
  readonly blockTokens: number;
  /** The configuration with defaults applied, for writing beside the results. */
  readonly config: SyntheticWorkloadConfig;

  private readonly drawSessionGapSec: () => number;
  private readonly drawTurnCount: () => number;
  private readonly promptRng: CounterRng;
  private readonly responseRng: CounterRng;
  private readonly thinkRng: CounterRng;
  private readonly drawPromptTokens: () => number;
  private readonly drawResponseTokens: () => number;
  private readonly drawThinkTimeSec: () => number;
  private readonly maxThinkTimeSec: number;
  private readonly drawFirstPromptTokens: () => number;
  private readonly drawTurnInputTokens: (() => number) | null;
  private readonly maxContextTokens: number;
  private readonly blockIdKey: number;
  // Tokens and full-block ids of each system prompt (prefix group).
  private readonly groupTokens: number[];
  private readonly systemBlockIds: Float64Array[];
  private readonly drawGroup: (() => number) | null;
  private readonly drawTenant: (() => number) | null;
  private readonly diurnal: DiurnalClock | null;
  private readonly endAt: number;

  private sessionsStarted = 0;
  private startsEnded = false;
  private lastSessionArrivalAt = 0;
  // Seconds of session-start time at the mean rate, mapped to simulated time by the diurnal curve.
  private operationalTimeSec = 0;

  // Per-session state, indexed by slot. A slot is taken when a session starts and returned to the
  // free stack when its last turn is issued, so the arrays grow with the sessions in progress.
  private readonly slotBySession = new Map<number, number>();
  private slotSessionId = new Int32Array(INITIAL_SLOTS);
  private slotTurnCount = new Float64Array(INITIAL_SLOTS);
  private slotNextTurn = new Int32Array(INITIAL_SLOTS);
  private slotContextTokens = new Float64Array(INITIAL_SLOTS);
  private slotPromptDraws = new Uint32Array(INITIAL_SLOTS);
  private slotResponseDraws = new Uint32Array(INITIAL_SLOTS);
  private slotThinkDraws = new Uint32Array(INITIAL_SLOTS);
  private slotGroup = new Int32Array(INITIAL_SLOTS);
  private slotTenant = new Int32Array(INITIAL_SLOTS);
  // Ids of the session's leading full blocks. A full block keeps its id from turn to turn, so each
  // is hashed once per session. `slotBlockIds[slot]` stores `slotBlockIdCount[slot]` of them.
  private slotBlockIds: Float64Array[] = [];
  private slotBlockIdCount = new Int32Array(INITIAL_SLOTS);
  private freeSlots = new Int32Array(INITIAL_SLOTS);
  private freeSlotCount = 0;
  private slotsInUse = 0;

  /**
   * Validates `input`, throwing `SyntheticConfigError` on the first invalid field, and prepares
   * the generator. `seed` determines every draw, so the same configuration and seed give the same
   * requests.
   */
  constructor(input: SyntheticWorkloadInput, seed: number | string) {
    const config = parseSyntheticConfig(input);
    this.config = config;
    this.blockTokens = config.blockTokens;
    this.maxThinkTimeSec = config.maxThinkTimeSec;
    this.maxContextTokens = config.maxContextTokens;
    this.endAt = config.durationSec === undefined ? Infinity : Math.floor(config.durationSec * NS_PER_SEC);

    const meanGapSec = 1 / config.sessionRatePerSec;
    const gapSpec: DistributionSpec =
      config.arrivalCv === undefined || config.arrivalCv === 1
        ? { kind: 'exponential', mean: meanGapSec }
        : { kind: 'gamma', mean: meanGapSec, cv: config.arrivalCv };
    this.drawSessionGapSec = createSampler(gapSpec, createRng(seed, 'arrivals'));
    this.diurnal = config.diurnal === undefined ? null : new DiurnalClock(config.diurnal.hourlyWeights, config.diurnal.startHour);
    this.drawTurnCount = createSampler(config.turns, createRng(seed, 'turns'));
    this.promptRng = new CounterRng(seed, 'prompt-tokens');
    this.responseRng = new CounterRng(seed, 'response-tokens');
    this.thinkRng = new CounterRng(seed, 'think-times');
    this.drawPromptTokens = createSampler(config.promptTokens, this.promptRng.next);
    this.drawResponseTokens = createSampler(config.responseTokens, this.responseRng.next);
    this.drawThinkTimeSec = createSampler(config.thinkTimeSec, this.thinkRng.next);
    // The first prompt draws from the same per-session stream, so adding it shifts no other draw.
    this.drawFirstPromptTokens =
      config.firstPromptTokens === undefined ? this.drawPromptTokens : createSampler(config.firstPromptTokens, this.promptRng.next);

    this.drawTurnInputTokens = config.turnInputTokens === undefined ? null : createSampler(config.turnInputTokens, this.promptRng.next);

    this.blockIdKey = drawKey32(createRng(seed, 'block-ids'));
    const groups = config.systemPrompts ?? [{ tokens: config.systemPromptTokens, weight: 1 }];
    this.groupTokens = groups.map((group) => group.tokens);
    // Group g's blocks use substream 2^32 - 1 - g, above every session id, so group 0 keeps the
    // ids of the single shared system prompt.
    this.systemBlockIds = groups.map((group, groupIndex) => {
      const ids = new Float64Array(Math.floor(group.tokens / config.blockTokens));
      for (let index = 0; index < ids.length; index++) {
        ids[index] = hash53(this.blockIdKey, SYSTEM_PROMPT_SUBSTREAM - groupIndex, index, config.blockTokens);
      }
      return ids;
    });
    this.drawGroup =
      groups.length > 1 ? createIndexSampler(groups.map((group) => group.weight), createRng(seed, 'prefix-groups')) : null;
    const tenantWeights = config.tenantWeights ?? [1];
    this.drawTenant = tenantWeights.length > 1 ? createIndexSampler(tenantWeights, createRng(seed, 'tenants')) : null;
  }

  /** Writes the first turn of the next session into `out`; returns false once every session has started. */
  nextArrival(out: RequestRecord): boolean {
    if (this.sessionsStarted === this.config.sessions || this.startsEnded) {
      return false;
    }
    const gapSec = this.drawSessionGapSec();
    let arrivalAt: number;
    if (this.diurnal === null) {
      arrivalAt = this.lastSessionArrivalAt + Math.ceil(gapSec * NS_PER_SEC);
    } else {
      this.operationalTimeSec += gapSec;
      arrivalAt = Math.max(this.lastSessionArrivalAt, Math.ceil(this.diurnal.toSimulatedSec(this.operationalTimeSec) * NS_PER_SEC));
    }
    checkTime(arrivalAt);
    if (arrivalAt > this.endAt) {
      this.startsEnded = true;
      return false;
    }
    this.lastSessionArrivalAt = arrivalAt;

    const sessionId = this.sessionsStarted++;
    const slot = this.takeSlot(sessionId);
    this.slotTurnCount[slot] = Math.round(this.drawTurnCount());
    this.slotNextTurn[slot] = 0;
    const group = this.drawGroup === null ? 0 : this.drawGroup();
    this.slotGroup[slot] = group;
    this.slotTenant[slot] = this.drawTenant === null ? 0 : this.drawTenant();
    this.slotContextTokens[slot] = this.groupTokens[group];
    this.slotPromptDraws[slot] = 0;
    this.slotResponseDraws[slot] = 0;
    this.slotThinkDraws[slot] = 0;

    // The first turn is always issued, even past maxContextTokens, so every session yields a request.
    this.writeTurn(slot, arrivalAt, out);
    return true;
  }

  /**
   * Writes the session's next turn into `out`, arriving one think time after `completedAt`.
   * Returns false when the session has issued its last turn, or when the next turn would exceed
   * `maxContextTokens` (the session then ends early).
   */
  nextTurn(completed: RequestRecord, completedAt: number, out: RequestRecord): boolean {
    const slot = this.slotBySession.get(completed.sessionId);
    if (slot === undefined) {
      return false;
    }
    const lastIssuedTurn = this.slotNextTurn[slot] - 1;
    if (completed.turn !== lastIssuedTurn) {
      throw new Error(
        `nextTurn received turn ${completed.turn} of session ${completed.sessionId}, but its last issued turn is ${lastIssuedTurn}`,
      );
    }

    this.thinkRng.substream = completed.sessionId;
    this.thinkRng.counter = this.slotThinkDraws[slot];
    const thinkTimeSec = Math.min(this.drawThinkTimeSec(), this.maxThinkTimeSec);
    this.slotThinkDraws[slot] = this.thinkRng.counter;
    const arrivalAt = completedAt + Math.ceil(thinkTimeSec * NS_PER_SEC);
    checkTime(arrivalAt);
    if (arrivalAt > this.endAt) {
      this.releaseSlot(slot);
      return false;
    }

    if (!this.writeTurn(slot, arrivalAt, out)) {
      this.releaseSlot(slot);
      return false;
    }
    return true;
  }

  /** Nothing to release: the generator holds no files. */
  close(): void {}

  /** Formats the configuration as one line, for logs and report headers. */
  describe(): string {
    const config = this.config;
    return (
      `synthetic(sessions=${config.sessions}, sessionRatePerSec=${config.sessionRatePerSec}, ` +
      `turns=${describeDistribution(config.turns)}, promptTokens=${describeDistribution(config.promptTokens)}, ` +
      `responseTokens=${describeDistribution(config.responseTokens)}, ` +
      `thinkTimeSec=${describeDistribution(config.thinkTimeSec)}, maxThinkTimeSec=${config.maxThinkTimeSec}, ` +
      `systemPromptTokens=${config.systemPromptTokens}, blockTokens=${config.blockTokens}, ` +
      `maxContextTokens=${config.maxContextTokens}${describeOptional(config)})`
    );
  }

  /**
   * Draws the next turn of the session in `slot` and writes it into `out`. Returns false, leaving
   * `out` unchanged, when a turn after the first would exceed `maxContextTokens`.
   */
  private writeTurn(slot: number, arrivalAt: number, out: RequestRecord): boolean {
    const sessionId = this.slotSessionId[slot];
    const turn = this.slotNextTurn[slot];

    this.promptRng.substream = sessionId;
    this.promptRng.counter = this.slotPromptDraws[slot];
    let inputTokens: number;
    if (turn === 0) {
      inputTokens = this.slotContextTokens[slot] + Math.max(1, Math.round(this.drawFirstPromptTokens()));
    } else if (this.drawTurnInputTokens !== null) {
      inputTokens = Math.max(1, Math.round(this.drawTurnInputTokens()));
    } else {
      inputTokens = this.slotContextTokens[slot] + Math.max(1, Math.round(this.drawPromptTokens()));
    }
    this.slotPromptDraws[slot] = this.promptRng.counter;

    this.responseRng.substream = sessionId;
    this.responseRng.counter = this.slotResponseDraws[slot];
    const outputTokens = Math.max(1, Math.round(this.drawResponseTokens()));
    this.slotResponseDraws[slot] = this.responseRng.counter;

    const contextTokens = inputTokens + outputTokens;
    if (!Number.isSafeInteger(contextTokens)) {
      throw new RangeError(
        `synthetic session ${sessionId} turn ${turn} drew a context of ${contextTokens} tokens, past 2^53; check the promptTokens and responseTokens distributions`,
      );
    }
    if (turn > 0 && contextTokens > this.maxContextTokens) {
      return false;
    }

    out.arrivalAt = arrivalAt;
    out.sessionId = sessionId;
    out.turn = turn;
    out.inputTokens = inputTokens;
    out.outputTokens = outputTokens;
    out.tenant = this.slotTenant[slot];
    this.writeBlockIds(slot, this.systemBlockIds[this.slotGroup[slot]], inputTokens, contextTokens, out);

    this.slotContextTokens[slot] = contextTokens;
    this.slotNextTurn[slot] = turn + 1;
    if (turn + 1 >= this.slotTurnCount[slot]) {
      // The session has issued its last turn, so nextTurn will find no slot and return false.
      this.releaseSlot(slot);
    }
    return true;
  }

  /**
   * Fills the record's block ids. Block k of a session holding n tokens gets the id
   * hash(key, session, k, n), so a full block keeps its id from turn to turn while a partial tail
   * changes id as it fills. Full blocks of the system prompt carry ids shared by all sessions.
   */
  private writeBlockIds(slot: number, systemBlockIds: Float64Array, inputTokens: number, contextTokens: number, out: RequestRecord): void {
    const sessionId = this.slotSessionId[slot];
    const blockTokens = this.blockTokens;
    const contextBlockCount = Math.ceil(contextTokens / blockTokens);
    const promptBlockCount = Math.ceil(inputTokens / blockTokens);
    reserveBlocks(out, contextBlockCount);
    const contextIds = out.contextBlockIds;
    const promptIds = out.promptBlockIds;
    const systemBlockCount = systemBlockIds.length;
    const fullBlockCount = Math.floor(contextTokens / blockTokens);
    if (this.slotBlockIds[slot].length < fullBlockCount) {
      const grown = new Float64Array(Math.max(fullBlockCount, this.slotBlockIds[slot].length * 2));
      grown.set(this.slotBlockIds[slot]);
      this.slotBlockIds[slot] = grown;
    }
    const knownIds = this.slotBlockIds[slot];
    let knownCount = this.slotBlockIdCount[slot];

    for (let index = 0; index < contextBlockCount; index++) {
      let id: number;
      // A context shorter than an earlier turn's (turnInputTokens) may end inside a known block.
      if (index < knownCount && index < fullBlockCount) {
        id = knownIds[index];
      } else {
        id =
          index < systemBlockCount
            ? systemBlockIds[index]
            : hash53(this.blockIdKey, sessionId, index, Math.min(blockTokens, contextTokens - index * blockTokens));
        if (index < fullBlockCount) knownIds[knownCount++] = id;
      }
      contextIds[index] = id;
      promptIds[index] = id;
    }
    this.slotBlockIdCount[slot] = knownCount;
    // The prompt's last block differs from the context's when the prompt ends inside it. The
    // prompt is longer than the system prompt, so that block is never a shared one.
    const promptTailTokens = inputTokens % blockTokens;
    if (promptTailTokens !== 0) {
      const tailIndex = promptBlockCount - 1;
      promptIds[tailIndex] = hash53(this.blockIdKey, sessionId, tailIndex, promptTailTokens);
    }

    out.contextBlockCount = contextBlockCount;
    out.promptBlockCount = promptBlockCount;
  }

  private takeSlot(sessionId: number): number {
    let slot: number;
    if (this.freeSlotCount > 0) {
      slot = this.freeSlots[--this.freeSlotCount];
    } else {
      if (this.slotsInUse === this.slotSessionId.length) {
        this.growSlots();
      }
      slot = this.slotsInUse;
    }
    this.slotsInUse++;
    this.slotSessionId[slot] = sessionId;
    this.slotBlockIdCount[slot] = 0;
    if (slot === this.slotBlockIds.length) this.slotBlockIds.push(new Float64Array(64));
    this.slotBySession.set(sessionId, slot);
    return slot;
  }

  private releaseSlot(slot: number): void {
    this.slotBySession.delete(this.slotSessionId[slot]);
    this.freeSlots[this.freeSlotCount++] = slot;
    this.slotsInUse--;
  }

  // Called only when no slot is free, so every slot below the old capacity is in use and the new
  // slots continue from there.
  private growSlots(): void {
    const capacity = this.slotSessionId.length * 2;
    this.slotSessionId = grow(this.slotSessionId, new Int32Array(capacity));
    this.slotTurnCount = grow(this.slotTurnCount, new Float64Array(capacity));
    this.slotNextTurn = grow(this.slotNextTurn, new Int32Array(capacity));
    this.slotContextTokens = grow(this.slotContextTokens, new Float64Array(capacity));
    this.slotPromptDraws = grow(this.slotPromptDraws, new Uint32Array(capacity));
    this.slotResponseDraws = grow(this.slotResponseDraws, new Uint32Array(capacity));
    this.slotThinkDraws = grow(this.slotThinkDraws, new Uint32Array(capacity));
    this.slotGroup = grow(this.slotGroup, new Int32Array(capacity));
    this.slotTenant = grow(this.slotTenant, new Int32Array(capacity));
    this.slotBlockIdCount = grow(this.slotBlockIdCount, new Int32Array(capacity));
    this.freeSlots = new Int32Array(capacity);
  }
}

function grow<T extends Int32Array | Uint32Array | Float64Array>(old: T, grown: T): T {
  grown.set(old);
  return grown;
}

// Formats the optional fields that are set, each as `, name=value`.
function describeOptional(config: SyntheticWorkloadConfig): string {
  let text = '';
  if (config.arrivalCv !== undefined) text += `, arrivalCv=${config.arrivalCv}`;
  if (config.diurnal !== undefined) text += `, diurnal(startHour=${config.diurnal.startHour}, hourlyWeights=[${config.diurnal.hourlyWeights.join(', ')}])`;
  if (config.systemPrompts !== undefined) {
    text += `, systemPrompts=[${config.systemPrompts.map((group) => `${group.tokens}x${group.weight}`).join(', ')}]`;
  }
  if (config.tenantWeights !== undefined) text += `, tenantWeights=[${config.tenantWeights.join(', ')}]`;
  if (config.firstPromptTokens !== undefined) text += `, firstPromptTokens=${describeDistribution(config.firstPromptTokens)}`;
  if (config.turnInputTokens !== undefined) text += `, turnInputTokens=${describeDistribution(config.turnInputTokens)}`;
  if (config.durationSec !== undefined) text += `, durationSec=${config.durationSec}`;
  return text;
}

/** Returns a sampler of indices 0..n-1 drawn with probability proportional to `weights`. */
function createIndexSampler(weights: readonly number[], rng: () => number): () => number {
  return createSampler({ kind: 'empirical', values: weights.map((_weight, index) => index), weights: [...weights] }, rng);
}

const SEC_PER_HOUR = 3600;
const SEC_PER_DAY = 86_400;

/**
 * A piecewise-constant daily rate curve. Session starts are drawn in operational time, where the
 * rate is constant, and mapped to simulated time by inverting the cumulative rate
 * Lambda(t) = integral of w(hour of day at s) ds over [0, t], with the hourly weights w scaled to
 * mean 1. Any renewal process of gaps (Poisson or gamma) keeps its shape within each hour.
 */
class DiurnalClock {
  private readonly hourRates: number[];

  constructor(
    hourlyWeights: readonly number[],
    private readonly startHour: number,
  ) {
    const total = hourlyWeights.reduce((sum, weight) => sum + weight, 0);
    this.hourRates = hourlyWeights.map((weight) => (weight * 24) / total);
  }

  /** Returns the simulated second at which the cumulative rate reaches `operationalSec`. */
  toSimulatedSec(operationalSec: number): number {
    const days = Math.floor(operationalSec / SEC_PER_DAY);
    let remaining = operationalSec - days * SEC_PER_DAY;
    const startHour = Math.floor(this.startHour);
    for (let offset = 0; offset < 24; offset++) {
      const rate = this.hourRates[(startHour + offset) % 24];
      const mass = rate * SEC_PER_HOUR;
      if (rate > 0 && remaining < mass) return days * SEC_PER_DAY + offset * SEC_PER_HOUR + remaining / rate;
      remaining -= mass;
    }
    // Rounding left a remainder past the last hour with a positive rate.
    return (days + 1) * SEC_PER_DAY;
  }
}

function checkTime(instantNs: number): void {
  if (!Number.isSafeInteger(instantNs)) {
    throw new RangeError(
      `synthetic workload reached instant ${instantNs} ns, past the clock's exact range of 2^53 ns (about 104 days); lower sessions or raise sessionRatePerSec`,
    );
  }
}

function parseSyntheticConfig(input: SyntheticWorkloadInput): SyntheticWorkloadConfig {
  const result = constructorSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    if (issue.code === 'unrecognized_keys') {
      const path = issue.path.length === 0 ? '' : `${issue.path.join('.')}.`;
      const known = issue.path.length === 0 ? `; expected one of ${Object.keys(syntheticWorkloadSchema.shape).join(', ')}` : '';
      throw new SyntheticConfigError(
        `invalid synthetic workload configuration: unknown field ${issue.keys.map((key) => path + key).join(', ')}${known}`,
      );
    }
    const field = issue.path.length === 0 ? '(top level)' : issue.path.join('.');
    const received = valueAt(input, issue.path);
    const receivedText = received === undefined ? '' : `, received ${JSON.stringify(received)}`;
    throw new SyntheticConfigError(`invalid synthetic workload configuration: field ${field}: ${issue.message}${receivedText}`);
  }
  const { kind: _kind, ...config } = result.data;
  if (config.systemPrompts !== undefined) {
    config.systemPrompts.forEach((group, index) => {
      if (group.tokens >= config.maxContextTokens) {
        throw new SyntheticConfigError(
          `invalid synthetic workload configuration: field systemPrompts.${index}.tokens is ${group.tokens}, expected fewer than maxContextTokens (${config.maxContextTokens})`,
        );
      }
    });
  } else if (config.systemPromptTokens >= config.maxContextTokens) {
    throw new SyntheticConfigError(
      `invalid synthetic workload configuration: field systemPromptTokens is ${config.systemPromptTokens}, expected fewer than maxContextTokens (${config.maxContextTokens})`,
    );
  }
  return config;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) {
      return undefined;
    }
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
