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
  private readonly maxContextTokens: number;
  private readonly systemPromptTokens: number;
  private readonly blockIdKey: number;
  private readonly systemBlockIds: Float64Array;

  private sessionsStarted = 0;
  private lastSessionArrivalAt = 0;

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
    this.systemPromptTokens = config.systemPromptTokens;

    const meanGapSec = 1 / config.sessionRatePerSec;
    this.drawSessionGapSec = createSampler({ kind: 'exponential', mean: meanGapSec }, createRng(seed, 'arrivals'));
    this.drawTurnCount = createSampler(config.turns, createRng(seed, 'turns'));
    this.promptRng = new CounterRng(seed, 'prompt-tokens');
    this.responseRng = new CounterRng(seed, 'response-tokens');
    this.thinkRng = new CounterRng(seed, 'think-times');
    this.drawPromptTokens = createSampler(config.promptTokens, this.promptRng.next);
    this.drawResponseTokens = createSampler(config.responseTokens, this.responseRng.next);
    this.drawThinkTimeSec = createSampler(config.thinkTimeSec, this.thinkRng.next);

    this.blockIdKey = drawKey32(createRng(seed, 'block-ids'));
    const systemBlockCount = Math.floor(config.systemPromptTokens / config.blockTokens);
    this.systemBlockIds = new Float64Array(systemBlockCount);
    for (let index = 0; index < systemBlockCount; index++) {
      this.systemBlockIds[index] = hash53(this.blockIdKey, SYSTEM_PROMPT_SUBSTREAM, index, config.blockTokens);
    }
  }

  /** Writes the first turn of the next session into `out`; returns false once every session has started. */
  nextArrival(out: RequestRecord): boolean {
    if (this.sessionsStarted === this.config.sessions) {
      return false;
    }
    const gapNs = Math.ceil(this.drawSessionGapSec() * NS_PER_SEC);
    const arrivalAt = this.lastSessionArrivalAt + gapNs;
    checkTime(arrivalAt);
    this.lastSessionArrivalAt = arrivalAt;

    const sessionId = this.sessionsStarted++;
    const slot = this.takeSlot(sessionId);
    this.slotTurnCount[slot] = Math.round(this.drawTurnCount());
    this.slotNextTurn[slot] = 0;
    this.slotContextTokens[slot] = this.systemPromptTokens;
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
      `maxContextTokens=${config.maxContextTokens})`
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
    const newPromptTokens = Math.max(1, Math.round(this.drawPromptTokens()));
    this.slotPromptDraws[slot] = this.promptRng.counter;

    this.responseRng.substream = sessionId;
    this.responseRng.counter = this.slotResponseDraws[slot];
    const outputTokens = Math.max(1, Math.round(this.drawResponseTokens()));
    this.slotResponseDraws[slot] = this.responseRng.counter;

    const inputTokens = this.slotContextTokens[slot] + newPromptTokens;
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
    out.tenant = 0;
    this.writeBlockIds(sessionId, inputTokens, contextTokens, out);

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
  private writeBlockIds(sessionId: number, inputTokens: number, contextTokens: number, out: RequestRecord): void {
    const blockTokens = this.blockTokens;
    const contextBlockCount = Math.ceil(contextTokens / blockTokens);
    const promptBlockCount = Math.ceil(inputTokens / blockTokens);
    reserveBlocks(out, contextBlockCount);
    const contextIds = out.contextBlockIds;
    const promptIds = out.promptBlockIds;
    const systemBlockCount = this.systemBlockIds.length;

    for (let index = 0; index < contextBlockCount; index++) {
      const id =
        index < systemBlockCount
          ? this.systemBlockIds[index]
          : hash53(this.blockIdKey, sessionId, index, Math.min(blockTokens, contextTokens - index * blockTokens));
      contextIds[index] = id;
      promptIds[index] = id;
    }
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
    this.freeSlots = new Int32Array(capacity);
  }
}

function grow<T extends Int32Array | Uint32Array | Float64Array>(old: T, grown: T): T {
  grown.set(old);
  return grown;
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
  if (config.systemPromptTokens >= config.maxContextTokens) {
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
