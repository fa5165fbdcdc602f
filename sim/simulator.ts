// The serving model and the event loop of one run.
//
// Requests arrive from the workload (open-loop arrivals, and closed-loop next turns at the previous
// turn's completion plus a think time) and wait in one FCFS queue. The scheduler admits the head
// while a batch slot is free and its KV (prompt plus output tokens) fits the in-flight budget. On
// admission the prompt's blocks are looked up in the KV store. The usable prefix is the longest run
// of leading blocks present in some tier. Each contiguous range of usable blocks below the GPU is
// loaded through the device queues (a tier's device read, then the PCIe host-to-device link unless
// GPU-direct storage skips it) or recomputed, by the load rule.
//
// The GPU runs steps. A step prefills the requests that are ready (whole prompts, or chunks within
// a token budget when chunked prefill is on) and decodes one token for every request past its
// prefill. It lasts the sum of its prefill times plus one memory-bound decode step. Without overlap a
// request is ready once its loads finish; with layer-wise overlap it is ready at once, and a step
// that prefills it cannot end before its loads finish plus the compute of one layer. The request
// emits its first token at the end of the step that finishes its prefill (TTFT), then decodes in
// the continuous batch. When prefill ends the prompt's blocks are touched or inserted in the GPU
// tier, and on completion the blocks the output adds; evictions cascade down the tiers. Then the
// workload is asked for the session's next turn.
//
// GPU memory after weights holds the running requests' KV, which is never evicted, and the GPU cache
// tier: a fixed partition when the tier has a set capacity, else the cache takes what running
// requests leave and shrinks, evicting, as requests are admitted.
//
// NOTE: a running request's KV is counted in full even where its prefix also sits in the GPU cache
// tier, and a cached block a running request reads may be evicted before it completes.

import { DeviceQueue, Operation } from '../devices/device.js';
import { PrefixSource, RunRecorder, TtftSourceIndex } from '../results/recorder.js';
import type { RequestOutcome } from '../results/request-log.js';
import { SAMPLE_INTERVAL_NS, type TimeSeries } from '../results/timeseries.js';
import { IdMap } from '../workloads/id-map.js';
import type { RequestRecord, Workload } from '../workloads/request.js';
import { createRequestRecord } from '../workloads/request.js';
import type { ComputeModel } from './compute.js';
import { EventQueue } from './event-queue.js';
import type { KvStore } from './kv-store.js';

export type LoadRule = 'cheaper' | 'always' | 'never';
export type Overlap = 'none' | 'layerwise';

export interface SimulatorOptions {
  store: KvStore;
  /** Position of each store tier in the fixed gpu, dram, ssd order of the results. */
  tierKinds: readonly number[];
  /** Device of each store tier below the GPU; null for the GPU tier. */
  tierDevices: readonly (DeviceQueue | null)[];
  /** Per store tier: whether loads from it go straight to the GPU, skipping the link (GPU-direct storage). */
  tierDirect: readonly boolean[];
  /** The host-to-GPU link: read is host-to-device, write is device-to-host. */
  link: DeviceQueue;
  compute: ComputeModel;
  /** Layers of the model, for layer-wise overlap. */
  layers: number;
  kvBytesPerToken: number;
  /** Bytes of weights in HBM, reported in the time series' GPU memory use. */
  weightBytes: number;
  inflightBudgetBytes: number;
  /**
   * When true the GPU cache tier takes whatever the in-flight budget leaves: its capacity is the
   * budget minus the running requests' KV, so admitting a request evicts cached blocks.
   */
  dynamicGpuCache: boolean;
  maxBatchRequests: number;
  /** Prefill token budget per step (decode tokens included); 0 prefills whole prompts. */
  chunkTokens: number;
  loadRule: LoadRule;
  overlap: Overlap;
  /** SLO targets in ns; a completed request meets a target when its TTFT or TPOT is at most it. */
  sloTtftNs: number;
  sloTpotNs: number;
  workload: Workload;
  recorder: RunRecorder;
  /** Per-minute samples, or null to record none. */
  timeSeries: TimeSeries | null;
  /** Receives every completed request, or null. */
  requestLog: ((outcome: RequestOutcome) => void) | null;
  /** Called every 65,536 events with the current simulated time, for progress display. */
  onProgress?: (now: number) => void;
}

const EVENT_ARRIVAL = 0;
const EVENT_TURN = 1;
const EVENT_LOAD_DONE = 2;
const EVENT_STEP_DONE = 3;

const STATE_FREE = 0;
const STATE_WAITING = 1;
const STATE_LOADING = 2;
const STATE_READY = 3;
const STATE_DECODING = 4;

// Marks a usable block below the GPU that the load rule chose to recompute.
const RECOMPUTED = -2;

export class Simulator {
  private readonly options: SimulatorOptions;
  private readonly events = new EventQueue();
  private readonly recorder: RunRecorder;
  private readonly store: KvStore;
  private readonly blockTokens: number;
  private readonly layerwise: boolean;
  private now = 0;
  private started = false;

  // Request pool: one record and one row of typed arrays per slot, recycled.
  private records: RequestRecord[] = [];
  private blockSources: Int8Array[] = [];
  // Handle of each prompt block when the request was admitted, or -1; a hint for the commit.
  private blockHandles: Int32Array[] = [];
  private freeSlots: number[] = [];
  private state = new Uint8Array(0);
  private ttftSource = new Uint8Array(0);
  private arrivalAt = new Float64Array(0);
  private admittedAt = new Float64Array(0);
  private loadDoneAt = new Float64Array(0);
  // Instant a request may join a prefill step: when its loads are done, earlier with overlap.
  private readyAt = new Float64Array(0);
  private firstStepAt = new Float64Array(0);
  private loadStallNs = new Float64Array(0);
  private firstTokenAt = new Float64Array(0);
  private reservedBytes = new Float64Array(0);
  private usedTokens = new Int32Array(0);
  private prefilledTokens = new Int32Array(0);
  private stepChunkTokens = new Int32Array(0);
  private usableBlocks = new Int32Array(0);

  // FCFS queue of waiting slots, a ring buffer.
  private waiting = new Int32Array(1024);
  private waitingHead = 0;
  private waitingCount = 0;

  private runningCount = 0;
  // Requests ready to prefill, in the order they became ready (a ring buffer), and the prefills of
  // the current step.
  private readyQueue = new Int32Array(256);
  private readyHead = 0;
  private readyCount = 0;
  private readonly stepPrefillSlots: Int32Array;
  private stepPrefillCount = 0;
  // Decoding requests: their count, their total context tokens, and their completions keyed by
  // the step that emits their last token.
  private decodeCount = 0;
  private decodeContextTokens = 0;
  private stepDecodeCount = 0;
  private finishedSteps = 0;
  private readonly completions = new EventQueue();
  private reservedTotal = 0;
  private stepActive = false;
  private stepEndAt = 0;
  private stepEndSequence = 0;
  private stepStartAt = 0;
  // End of the current step's compute; a layer-wise load may end the step later.
  private stepComputeEndAt = 0;

  // Time series: counters at the start of the current minute.
  private nextSampleAt = Infinity;
  private sampleIndex = 0;
  private minuteArrivals = 0;
  private minuteAdmissions = 0;
  private minuteCompletions = 0;
  private minutePromptTokens = 0;
  private readonly minuteUsedTokens = new Float64Array(3);
  private minuteSsdReadBytes = 0;
  private minuteSsdWriteBytes = 0;
  private readonly ssdDevice: DeviceQueue | null;

  // KV demand: context tokens of every live session (from its first arrival to its end), and of
  // requests without a session from arrival to completion.
  private readonly sessionContextTokens = new IdMap();
  private demandTokens = 0;
  private readonly outcome: RequestOutcome;

  constructor(options: SimulatorOptions) {
    this.options = options;
    this.recorder = options.recorder;
    this.store = options.store;
    this.blockTokens = options.workload.blockTokens;
    this.layerwise = options.overlap === 'layerwise';
    this.stepPrefillSlots = new Int32Array(options.maxBatchRequests);
    const ssdTier = options.tierKinds.indexOf(2);
    this.ssdDevice = ssdTier >= 0 ? options.tierDevices[ssdTier] : null;
    if (options.timeSeries !== null) this.nextSampleAt = SAMPLE_INTERVAL_NS;
    this.outcome = {
      sessionId: -1, turn: 0, arrivalAt: 0, inputTokens: 0, outputTokens: 0, source: 0, usedTokens: 0,
      ttftNs: 0, tpotNs: 0, e2eNs: 0, queueNs: 0, loadNs: 0, gpuWaitNs: 0, computeNs: 0,
    };
  }

  /** Runs until every request has completed and returns the recorder. */
  run(): RunRecorder {
    // Slices of 2^30 events keep the loop counter a small integer.
    while (this.advance(1 << 30));
    return this.finish();
  }

  /**
   * Processes at most `maxEvents` events and returns whether events remain, so that a caller can
   * run the simulation in slices and stop it between two of them.
   */
  advance(maxEvents: number): boolean {
    if (!this.started) {
      this.started = true;
      this.scheduleNextArrival();
    }
    const events = this.events;
    const onProgress = this.options.onProgress;
    let budget = maxEvents;
    while (budget-- > 0) {
      // The end of the GPU step is kept out of the heap because it is the most frequent event and
      // at most one is pending. It takes its turn by (time, sequence number) like the others.
      let at: number;
      let kind: number;
      let slot: number;
      const heapAt = events.peekTime();
      if (this.stepActive && (this.stepEndAt < heapAt || (this.stepEndAt === heapAt && this.stepEndSequence < events.peekSequence()))) {
        at = this.stepEndAt;
        kind = EVENT_STEP_DONE;
        slot = 0;
      } else {
        if (!events.pop()) break;
        at = events.poppedTime;
        kind = events.poppedKind;
        slot = events.poppedArg;
      }
      if (at >= this.nextSampleAt) this.sampleMinutes(at);
      this.now = at;
      // The store, its policies and its device writes take the time from `access`, also when the
      // GPU tier shrinks at an admission and evicts outside any commit.
      this.store.access.now = at;
      const count = ++this.recorder.events;
      switch (kind) {
        case EVENT_ARRIVAL:
          this.enqueue(slot);
          this.scheduleNextArrival();
          break;
        case EVENT_TURN:
          this.enqueue(slot);
          break;
        case EVENT_LOAD_DONE:
          this.markReady(slot);
          break;
        case EVENT_STEP_DONE:
          this.finishStep();
          break;
      }
      this.schedule();
      if (onProgress !== undefined && (count & 0xffff) === 0) onProgress(this.now);
    }
    return events.size > 0 || this.stepActive;
  }

  /** Closes the run at the current instant (the last event's, or where it was stopped). */
  finish(): RunRecorder {
    this.recorder.endAt = this.now;
    if (this.options.timeSeries !== null) this.appendSample(this.now);
    return this.recorder;
  }

  private scheduleNextArrival(): void {
    const slot = this.allocateSlot();
    const record = this.records[slot];
    if (!this.options.workload.nextArrival(record)) {
      this.freeSlot(slot);
      return;
    }
    const at = record.arrivalAt < this.now ? this.now : record.arrivalAt;
    this.events.push(at, EVENT_ARRIVAL, slot);
  }

  private enqueue(slot: number): void {
    this.recorder.requestsArrived++;
    this.minuteArrivals++;
    this.state[slot] = STATE_WAITING;
    this.arrivalAt[slot] = this.now;
    const record = this.records[slot];
    this.setDemand(record.sessionId, record.inputTokens, record.inputTokens);
    if (this.waitingCount === this.waiting.length) this.growWaiting();
    this.waiting[(this.waitingHead + this.waitingCount) & (this.waiting.length - 1)] = slot;
    this.waitingCount++;
    if (this.waitingCount > this.recorder.maxQueueLength) this.recorder.maxQueueLength = this.waitingCount;
  }

  // Admits what fits, then starts a GPU step if the GPU is idle and some request can run.
  private schedule(): void {
    const maxBatch = this.options.maxBatchRequests;
    const budget = this.options.inflightBudgetBytes;
    while (this.waitingCount > 0 && this.runningCount < maxBatch) {
      const slot = this.waiting[this.waitingHead];
      const record = this.records[slot];
      const needBytes = (record.inputTokens + Math.max(1, record.outputTokens)) * this.options.kvBytesPerToken;
      const fits = this.reservedTotal + needBytes <= budget;
      if (!fits && this.runningCount > 0) break;
      if (!fits) this.recorder.requestsOversized++;
      this.waitingHead = (this.waitingHead + 1) & (this.waiting.length - 1);
      this.waitingCount--;
      this.reservedBytes[slot] = needBytes;
      this.reservedTotal += needBytes;
      if (this.options.dynamicGpuCache) this.store.setTierCapacity(0, Math.max(0, budget - this.reservedTotal));
      this.runningCount++;
      this.admit(slot);
    }
    if (!this.stepActive) this.startStep();
  }

  // Looks the prompt's blocks up, plans loads or recomputation, and records hit statistics.
  private admit(slot: number): void {
    const record = this.records[slot];
    const recorder = this.recorder;
    const store = this.store;
    const tierKinds = this.options.tierKinds;
    const blockTokens = this.blockTokens;
    const blockCount = record.promptBlockCount;
    const inputTokens = record.inputTokens;
    if (this.blockSources[slot].length < blockCount) {
      const length = Math.max(blockCount, this.blockSources[slot].length * 2);
      this.blockSources[slot] = new Int8Array(length);
      this.blockHandles[slot] = new Int32Array(length);
    }
    const sources = this.blockSources[slot];
    const handles = this.blockHandles[slot];

    this.admittedAt[slot] = this.now;
    this.minuteAdmissions++;
    this.minutePromptTokens += inputTokens;
    recorder.promptTokens += inputTokens;
    recorder.promptBlocks += blockCount;

    // Find where each block is; the usable prefix ends at the first block no tier holds.
    let usable = blockCount;
    for (let i = 0; i < blockCount; i++) {
      const handle = store.find(record.promptBlockIds[i]);
      handles[i] = handle;
      const tier = handle < 0 ? -1 : store.sourceTier(handle);
      if (tier >= 0) {
        recorder.presentBlocks[tierKinds[tier]]++;
        if (i >= usable) {
          recorder.presentUnusedBlocks++;
          recorder.presentUnusedTokens += tokensOfBlock(i, inputTokens, blockTokens);
        }
      } else {
        recorder.absentBlocks++;
        if (usable === blockCount) usable = i;
      }
      sources[i] = i < usable ? tier : -1;
    }

    const recomputedBefore = recorder.recomputedByRuleBlocks;
    const loadDoneAt = this.planLoads(slot, usable);

    // Count what was used and the slowest tier it came from.
    let usedTokens = 0;
    let deepest: number = PrefixSource.None;
    for (let i = 0; i < usable; i++) {
      const tier = sources[i];
      if (tier === RECOMPUTED) continue;
      const kind = tierKinds[tier];
      const tokens = tokensOfBlock(i, inputTokens, blockTokens);
      recorder.usedBlocks[kind]++;
      recorder.usedTokens[kind] += tokens;
      this.minuteUsedTokens[kind] += tokens;
      usedTokens += tokens;
      if (kind + 1 > deepest) deepest = kind + 1;
    }
    recorder.requestsBySource[deepest]++;
    this.usedTokens[slot] = usedTokens;
    this.usableBlocks[slot] = usable;
    this.prefilledTokens[slot] = 0;
    this.loadStallNs[slot] = 0;
    this.firstStepAt[slot] = -1;
    // The load rule's recomputation marks the request whatever else it used; a request that used
    // nothing and recomputed nothing is a miss.
    this.ttftSource[slot] = recorder.recomputedByRuleBlocks > recomputedBefore ? TtftSourceIndex.Recomputed : deepest;

    this.loadDoneAt[slot] = loadDoneAt;
    if (loadDoneAt > this.now) recorder.loadDurationNs.record(loadDoneAt - this.now);
    // Without overlap a request is ready when its loads are done. With layer-wise overlap it is
    // ready early enough that computing all but the last layer hides the loads, so a slow load does
    // not hold a whole step of other requests.
    let readyAt = loadDoneAt;
    if (this.layerwise && loadDoneAt > this.now) {
      const prefillNs = this.options.compute.prefillNs(Math.max(1, inputTokens - usedTokens), usedTokens);
      readyAt = loadDoneAt - Math.floor((prefillNs * (this.options.layers - 1)) / this.options.layers);
    }
    if (readyAt < this.now) readyAt = this.now;
    this.readyAt[slot] = readyAt;
    if (readyAt > this.now) {
      this.state[slot] = STATE_LOADING;
      this.events.push(readyAt, EVENT_LOAD_DONE, slot);
    } else {
      this.markReady(slot);
    }
  }

  // Plans the loads of each contiguous range of usable blocks below the GPU and returns the
  // instant the last kept load completes. A range the load rule recomputes is marked RECOMPUTED.
  //
  // The cheaper rule estimates the request's prefill finish both ways, the GPU otherwise idle.
  // Without overlap, loading finishes at load + rest and recomputing at rest + range compute, so
  // the range loads when its load takes less than its compute. With layer-wise overlap loading
  // finishes at max(load, rest), so the range loads when its load takes less than rest + range
  // compute. Here rest is the prefill of the tokens after the usable prefix.
  private planLoads(slot: number, usable: number): number {
    const record = this.records[slot];
    const sources = this.blockSources[slot];
    const rule = this.options.loadRule;
    const blockTokens = this.blockTokens;
    const usableTokens = Math.min(usable * blockTokens, record.inputTokens);
    const restNs = this.layerwise ? this.options.compute.prefillNs(Math.max(1, record.inputTokens - usableTokens), usableTokens) : 0;
    let loadDoneAt = this.now;
    let start = 0;
    while (start < usable) {
      if (sources[start] <= 0) {
        start++;
        continue;
      }
      let end = start;
      let rangeTokens = 0;
      while (end < usable && sources[end] > 0) {
        rangeTokens += tokensOfBlock(end, record.inputTokens, blockTokens);
        end++;
      }

      let keep = rule !== 'never';
      if (keep) {
        this.checkpointDevices();
        let rangeDoneAt = this.now;
        for (let i = start; i < end; i++) {
          const doneAt = this.submitLoad(sources[i], tokensOfBlock(i, record.inputTokens, blockTokens) * this.options.kvBytesPerToken);
          if (doneAt > rangeDoneAt) rangeDoneAt = doneAt;
        }
        if (rule === 'cheaper' && rangeDoneAt - this.now > restNs + this.options.compute.prefillNs(rangeTokens, start * blockTokens)) {
          this.rollbackDevices();
          keep = false;
        } else if (rangeDoneAt > loadDoneAt) {
          loadDoneAt = rangeDoneAt;
        }
      }
      if (keep) {
        for (let i = start; i < end; i++) {
          this.recorder.loadedBytes[this.options.tierKinds[sources[i]]] += tokensOfBlock(i, record.inputTokens, blockTokens) * this.options.kvBytesPerToken;
        }
      } else {
        for (let i = start; i < end; i++) {
          sources[i] = RECOMPUTED;
          this.recorder.presentUnusedBlocks++;
          this.recorder.presentUnusedTokens += tokensOfBlock(i, record.inputTokens, blockTokens);
          this.recorder.recomputedByRuleBlocks++;
        }
      }
      start = end;
    }
    return loadDoneAt;
  }

  // Reads a block from a lower tier's device, then moves it over the link unless the tier sends
  // straight to the GPU; returns the completion instant.
  private submitLoad(tier: number, bytes: number): number {
    const device = this.options.tierDevices[tier] as DeviceQueue;
    const readAt = device.submit(Operation.Read, this.now, bytes);
    if (this.options.tierDirect[tier]) return readAt;
    return this.options.link.submit(Operation.Read, readAt, bytes);
  }

  private checkpointDevices(): void {
    this.options.link.checkpoint();
    for (const device of this.options.tierDevices) device?.checkpoint();
  }

  private rollbackDevices(): void {
    this.options.link.rollback();
    for (const device of this.options.tierDevices) device?.rollback();
  }

  // Starts one GPU step over the requests ready to prefill and those decoding, if there are any.
  // Decoding requests are not visited: the step needs only their count and total context, which
  // are kept up to date as requests start and stop decoding.
  private startStep(): void {
    const compute = this.options.compute;
    const chunkTokens = this.options.chunkTokens;
    const decodeCount = this.decodeCount;

    // Prefill in the order requests became ready, within the token budget, decode tokens first.
    let tokenBudget = chunkTokens > 0 ? chunkTokens - decodeCount : Infinity;
    let prefillNs = 0;
    let loadBoundEndAt = 0;
    this.stepPrefillCount = 0;
    const mask = this.readyQueue.length - 1;
    for (let i = 0; i < this.readyCount && tokenBudget > 0; i++) {
      const slot = this.readyQueue[(this.readyHead + i) & mask];
      const record = this.records[slot];
      const cachedTokens = this.usedTokens[slot];
      const remaining = Math.max(1, record.inputTokens - cachedTokens) - this.prefilledTokens[slot];
      const chunk = remaining < tokenBudget ? remaining : tokenBudget;
      tokenBudget -= chunk;
      const chunkNs = compute.prefillNs(chunk, cachedTokens + this.prefilledTokens[slot]);
      prefillNs += chunkNs;
      this.recorder.prefillTokens += chunk;
      this.stepChunkTokens[slot] = chunk;
      this.stepPrefillSlots[this.stepPrefillCount++] = slot;
      if (this.firstStepAt[slot] < 0) this.firstStepAt[slot] = this.now;
      // Layer-wise: the last layer's compute starts once the last layer's KV has arrived.
      if (this.layerwise && this.loadDoneAt[slot] > this.now) {
        const endAt = this.loadDoneAt[slot] + Math.ceil(chunkNs / this.options.layers);
        if (endAt > loadBoundEndAt) loadBoundEndAt = endAt;
      }
    }
    if (prefillNs === 0 && decodeCount === 0) return;

    let stepNs = prefillNs + compute.decodeStepNs(decodeCount, this.decodeContextTokens);
    if (stepNs < 1) stepNs = 1;
    this.stepDecodeCount = decodeCount;
    this.stepActive = true;
    this.stepStartAt = this.now;
    this.stepComputeEndAt = this.now + stepNs;
    this.recorder.steps++;
    const endAt = loadBoundEndAt > this.stepComputeEndAt ? loadBoundEndAt : this.stepComputeEndAt;
    this.stepEndAt = endAt;
    this.stepEndSequence = this.events.takeSequence();
  }

  // Ends a step: every decoding request in it gains a token, requests whose prefill finished emit
  // their first token, and requests that reach their last token complete.
  private finishStep(): void {
    this.stepActive = false;
    const stepNs = this.now - this.stepStartAt;
    this.recorder.gpuBusyNs += stepNs;
    if (stepNs > this.recorder.maxStepNs) this.recorder.maxStepNs = stepNs;
    const step = ++this.finishedSteps;
    this.recorder.decodeTokens += this.stepDecodeCount;
    this.decodeContextTokens += this.stepDecodeCount;

    const stallNs = this.now - this.stepComputeEndAt;
    const mask = this.readyQueue.length - 1;
    for (let i = 0; i < this.stepPrefillCount; i++) {
      const slot = this.stepPrefillSlots[i];
      this.prefilledTokens[slot] += this.stepChunkTokens[slot];
      if (stallNs > 0 && this.loadDoneAt[slot] > this.stepStartAt) this.loadStallNs[slot] += stallNs;
      const record = this.records[slot];
      if (this.prefilledTokens[slot] < Math.max(1, record.inputTokens - this.usedTokens[slot])) continue;
      // Only a step's last prefill can stop short of its prompt, so finished ones leave from the head.
      this.readyHead = (this.readyHead + 1) & mask;
      this.readyCount--;
      this.emitFirstToken(slot);
      if (record.outputTokens <= 1) {
        this.complete(slot);
      } else {
        this.decodeCount++;
        this.decodeContextTokens += record.inputTokens + 1;
        this.completions.push(step + record.outputTokens - 1, 0, slot);
      }
    }

    const completions = this.completions;
    while (completions.peekTime() <= step) {
      completions.pop();
      const slot = completions.poppedArg;
      this.decodeCount--;
      this.decodeContextTokens -= this.records[slot].inputTokens + this.records[slot].outputTokens;
      this.complete(slot);
    }
  }

  // Appends a slot that may now be prefilled to the ready queue.
  private markReady(slot: number): void {
    this.state[slot] = STATE_READY;
    if (this.readyCount === this.readyQueue.length) {
      const grown = new Int32Array(this.readyQueue.length * 2);
      for (let i = 0; i < this.readyCount; i++) grown[i] = this.readyQueue[(this.readyHead + i) & (this.readyQueue.length - 1)];
      this.readyQueue = grown;
      this.readyHead = 0;
    }
    this.readyQueue[(this.readyHead + this.readyCount) & (this.readyQueue.length - 1)] = slot;
    this.readyCount++;
  }

  // Records TTFT and its parts, which add up to it: queueing until admission, loading (until the
  // request is ready, plus any time its loads lengthened its prefill steps), waiting for the GPU,
  // and the prefill steps' compute.
  private emitFirstToken(slot: number): void {
    const recorder = this.recorder;
    const ttftNs = this.now - this.arrivalAt[slot];
    const queueNs = this.admittedAt[slot] - this.arrivalAt[slot];
    const loadBeforeNs = this.readyAt[slot] - this.admittedAt[slot];
    const gpuWaitNs = this.firstStepAt[slot] - this.admittedAt[slot] - loadBeforeNs;
    const loadNs = loadBeforeNs + this.loadStallNs[slot];
    const computeNs = ttftNs - queueNs - loadNs - gpuWaitNs;
    this.firstTokenAt[slot] = this.now;
    recorder.ttftNs.record(ttftNs);
    recorder.ttftBySourceNs[this.ttftSource[slot]].record(ttftNs);
    recorder.ttftPartsNs[0].record(queueNs);
    recorder.ttftPartsNs[1].record(loadNs);
    recorder.ttftPartsNs[2].record(gpuWaitNs);
    recorder.ttftPartsNs[3].record(computeNs);
    this.state[slot] = STATE_DECODING;
    this.commitPrompt(slot);
  }

  private complete(slot: number): void {
    const record = this.records[slot];
    const recorder = this.recorder;
    const ttftNs = this.firstTokenAt[slot] - this.arrivalAt[slot];
    const tpotNs = record.outputTokens > 1 ? (this.now - this.firstTokenAt[slot]) / (record.outputTokens - 1) : 0;
    recorder.requestsCompleted++;
    this.minuteCompletions++;
    recorder.e2eNs.record(this.now - this.arrivalAt[slot]);
    if (record.outputTokens > 1) recorder.tpotNs.record(tpotNs);
    const ttftMet = ttftNs <= this.options.sloTtftNs;
    const tpotMet = tpotNs <= this.options.sloTpotNs;
    if (ttftMet) recorder.sloTtftMet++;
    if (tpotMet) recorder.sloTpotMet++;
    if (ttftMet && tpotMet) recorder.sloBothMet++;
    if (this.options.requestLog !== null) this.logOutcome(slot, ttftNs, tpotNs);

    this.runningCount--;
    this.reservedTotal -= this.reservedBytes[slot];
    if (this.options.dynamicGpuCache) this.store.setTierCapacity(0, Math.max(0, this.options.inflightBudgetBytes - this.reservedTotal));
    this.commitOutput(slot);
    this.state[slot] = STATE_FREE;
    const sessionId = record.sessionId;
    const contextTokens = record.inputTokens + record.outputTokens;
    const inputTokens = record.inputTokens;
    this.setDemand(sessionId, contextTokens, -inputTokens);
    const continues = this.options.workload.nextTurn(record, this.now, record);
    if (!continues) this.setDemand(sessionId, 0, 0);
    if (continues) {
      const at = record.arrivalAt < this.now ? this.now : record.arrivalAt;
      this.events.push(at, EVENT_TURN, slot);
    } else {
      this.freeSlot(slot);
    }
  }

  // Sets the context tokens of a session (0 once it has ended), or adds `sessionlessTokens` for a
  // request without a session, and tracks the peak of the total.
  private setDemand(sessionId: number, tokens: number, sessionlessTokens: number): void {
    if (sessionId < 0) {
      this.demandTokens += sessionlessTokens;
    } else {
      const previous = Math.max(0, this.sessionContextTokens.get(sessionId));
      this.demandTokens += tokens - previous;
      if (tokens > 0) this.sessionContextTokens.set(sessionId, tokens);
      else this.sessionContextTokens.delete(sessionId);
    }
    if (this.demandTokens > this.recorder.peakDemandTokens) this.recorder.peakDemandTokens = this.demandTokens;
  }

  private logOutcome(slot: number, ttftNs: number, tpotNs: number): void {
    const record = this.records[slot];
    const outcome = this.outcome;
    const queueNs = this.admittedAt[slot] - this.arrivalAt[slot];
    const loadBeforeNs = this.readyAt[slot] - this.admittedAt[slot];
    outcome.sessionId = record.sessionId;
    outcome.turn = record.turn;
    outcome.arrivalAt = this.arrivalAt[slot];
    outcome.inputTokens = record.inputTokens;
    outcome.outputTokens = record.outputTokens;
    outcome.source = this.ttftSource[slot];
    outcome.usedTokens = this.usedTokens[slot];
    outcome.ttftNs = ttftNs;
    outcome.tpotNs = tpotNs;
    outcome.e2eNs = this.now - this.arrivalAt[slot];
    outcome.queueNs = queueNs;
    outcome.loadNs = loadBeforeNs + this.loadStallNs[slot];
    outcome.gpuWaitNs = this.firstStepAt[slot] - this.admittedAt[slot] - loadBeforeNs;
    outcome.computeNs = ttftNs - queueNs - outcome.loadNs - outcome.gpuWaitNs;
    (this.options.requestLog as (outcome: RequestOutcome) => void)(outcome);
  }

  // Appends a time-series row for every minute boundary up to `until`.
  private sampleMinutes(until: number): void {
    while (this.nextSampleAt <= until) {
      this.appendSample(this.nextSampleAt);
      this.nextSampleAt += SAMPLE_INTERVAL_NS;
    }
  }

  private appendSample(endAt: number): void {
    const series = this.options.timeSeries as TimeSeries;
    const startAt = this.sampleIndex * SAMPLE_INTERVAL_NS;
    const seconds = Math.max((endAt - startAt) / 1e9, 1e-9);
    const ssdRead = this.ssdDevice === null ? 0 : this.ssdDevice.bytes[Operation.Read];
    const ssdWrite = this.ssdDevice === null ? 0 : this.ssdDevice.bytes[Operation.Write];
    const prompt = this.minutePromptTokens;
    const used = this.minuteUsedTokens;
    const hitShare = (tokens: number) => (prompt === 0 ? 0 : tokens / prompt);
    const gpuCacheBytes = this.store.tiers[0].used;

    series.append([
      this.sampleIndex,
      startAt / 1e9,
      this.minuteArrivals,
      this.minuteAdmissions,
      this.minuteCompletions,
      this.minuteArrivals / seconds,
      hitShare(used[0] + used[1] + used[2]),
      hitShare(used[0]),
      hitShare(used[1]),
      hitShare(used[2]),
      this.waitingCount,
      this.runningCount,
      (ssdRead - this.minuteSsdReadBytes) / seconds,
      (ssdWrite - this.minuteSsdWriteBytes) / seconds,
      gpuCacheBytes,
      this.reservedTotal,
      this.options.weightBytes + gpuCacheBytes + this.reservedTotal,
    ]);

    this.sampleIndex++;
    this.minuteArrivals = 0;
    this.minuteAdmissions = 0;
    this.minuteCompletions = 0;
    this.minutePromptTokens = 0;
    used.fill(0);
    this.minuteSsdReadBytes = ssdRead;
    this.minuteSsdWriteBytes = ssdWrite;
  }

  // Touches or inserts the prompt's blocks in the GPU tier, head first, once prefill has computed
  // or loaded them, so that later requests (the session's next turn among them) can hit them.
  private commitPrompt(slot: number): void {
    const record = this.records[slot];
    const store = this.store;
    const access = store.access;
    const sources = this.blockSources[slot];
    const handles = this.blockHandles[slot];
    const usable = this.usableBlocks[slot];
    const compute = this.options.compute;
    const ids = record.promptBlockIds;
    access.session = record.sessionId;
    access.turn = record.turn;
    for (let i = 0; i < record.promptBlockCount; i++) {
      const readFrom = i < usable && sources[i] > 0 ? sources[i] : -1;
      const tokens = tokensOfBlock(i, record.inputTokens, this.blockTokens);
      access.position = i;
      access.accessIndex++;
      access.recomputeNs = compute.prefillNs(tokens, i * this.blockTokens);
      store.touchBlock(ids, i, tokens, readFrom, handles[i]);
    }
  }

  // Inserts the blocks that the output adds to the context when the workload provides their ids:
  // the full block replacing the prompt's partial tail, and the output's blocks.
  private commitOutput(slot: number): void {
    const record = this.records[slot];
    if (record.contextBlockCount === 0) return;
    const store = this.store;
    const access = store.access;
    const totalTokens = record.inputTokens + record.outputTokens;
    const compute = this.options.compute;
    const ids = record.contextBlockIds;
    access.session = record.sessionId;
    access.turn = record.turn;
    for (let i = 0; i < record.contextBlockCount; i++) {
      const id = ids[i];
      if (i < record.promptBlockCount && id === record.promptBlockIds[i]) continue;
      const tokens = tokensOfBlock(i, totalTokens, this.blockTokens);
      access.position = i;
      access.accessIndex++;
      access.recomputeNs = compute.prefillNs(tokens, i * this.blockTokens);
      store.touchBlock(ids, i, tokens, -1, -1);
    }
  }

  private allocateSlot(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    const slot = this.records.length;
    this.records.push(createRequestRecord());
    this.blockSources.push(new Int8Array(64));
    this.blockHandles.push(new Int32Array(64));
    if (slot >= this.state.length) this.growSlots(Math.max(64, this.state.length * 2));
    return slot;
  }

  private freeSlot(slot: number): void {
    this.state[slot] = STATE_FREE;
    this.freeSlots.push(slot);
  }

  private growSlots(capacity: number): void {
    const grow = <T extends Float64Array | Int32Array | Uint8Array>(array: T, make: (n: number) => T): T => {
      const grown = make(capacity);
      grown.set(array);
      return grown;
    };
    const bytes = (n: number) => new Uint8Array(n);
    const integers = (n: number) => new Int32Array(n);
    const reals = (n: number) => new Float64Array(n);
    this.state = grow(this.state, bytes);
    this.ttftSource = grow(this.ttftSource, bytes);
    this.arrivalAt = grow(this.arrivalAt, reals);
    this.admittedAt = grow(this.admittedAt, reals);
    this.loadDoneAt = grow(this.loadDoneAt, reals);
    this.readyAt = grow(this.readyAt, reals);
    this.firstStepAt = grow(this.firstStepAt, reals);
    this.loadStallNs = grow(this.loadStallNs, reals);
    this.firstTokenAt = grow(this.firstTokenAt, reals);
    this.reservedBytes = grow(this.reservedBytes, reals);
    this.usedTokens = grow(this.usedTokens, integers);
    this.prefilledTokens = grow(this.prefilledTokens, integers);
    this.stepChunkTokens = grow(this.stepChunkTokens, integers);
    this.usableBlocks = grow(this.usableBlocks, integers);
  }

  private growWaiting(): void {
    const grown = new Int32Array(this.waiting.length * 2);
    for (let i = 0; i < this.waitingCount; i++) grown[i] = this.waiting[(this.waitingHead + i) & (this.waiting.length - 1)];
    this.waiting = grown;
    this.waitingHead = 0;
  }
}

/** Tokens in block `index` of a context of `totalTokens` tokens cut into blocks of `blockTokens`. */
export function tokensOfBlock(index: number, totalTokens: number, blockTokens: number): number {
  const remaining = totalTokens - index * blockTokens;
  if (remaining >= blockTokens) return blockTokens;
  return remaining > 0 ? remaining : 0;
}
