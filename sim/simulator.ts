// The serving model and the event loop of one run.
//
// Requests arrive from the workload (open-loop arrivals, and closed-loop next turns at the previous
// turn's completion plus a think time) and wait in one FCFS queue. The scheduler admits the head
// while a batch slot is free and its KV (prompt plus output tokens) fits the in-flight budget. On
// admission the prompt's blocks are looked up in the KV store; the usable prefix is the longest run
// of leading blocks present in some tier. Each contiguous range of usable blocks below the GPU is
// loaded through the device queues (a tier's device read, then the PCIe host-to-device link) or
// recomputed, by the load rule. Once its loads finish a request is prefilled in the next GPU step
// and emits its first token at that step's end (TTFT); it then decodes one token per step in a
// continuous batch. A step's time is the sum of its prefills plus one memory-bound decode step for
// the batch. When prefill ends the prompt's blocks are touched or inserted in the GPU tier, and on
// completion the blocks the output adds; evictions cascade down the tiers. Then the workload is
// asked for the session's next turn.
//
// NOTE: a running request's KV is counted in full against the in-flight budget even where its
// prefix also sits in the GPU cache tier, and loads do not overlap with prefill.

import { DeviceQueue, Operation } from '../devices/device.js';
import { PrefixSource, RunRecorder } from '../results/recorder.js';
import type { RequestRecord, Workload } from '../workloads/request.js';
import { createRequestRecord } from '../workloads/request.js';
import type { ComputeModel } from './compute.js';
import { EventQueue } from './event-queue.js';
import type { KvStore } from './kv-store.js';

export type LoadRule = 'cheaper' | 'always' | 'never';

export interface SimulatorOptions {
  store: KvStore;
  /** Position of each store tier in the fixed gpu, dram, ssd order of the results. */
  tierKinds: readonly number[];
  /** Device of each store tier below the GPU; null for the GPU tier. */
  tierDevices: readonly (DeviceQueue | null)[];
  /** The host-to-GPU link: read is host-to-device, write is device-to-host. */
  link: DeviceQueue;
  compute: ComputeModel;
  kvBytesPerToken: number;
  inflightBudgetBytes: number;
  maxBatchRequests: number;
  loadRule: LoadRule;
  workload: Workload;
  recorder: RunRecorder;
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

const IN_STEP_NONE = 0;
const IN_STEP_PREFILL = 1;
const IN_STEP_DECODE = 2;

// Marks a usable block below the GPU that the load rule chose to recompute.
const RECOMPUTED = -2;

export class Simulator {
  private readonly options: SimulatorOptions;
  private readonly events = new EventQueue();
  private readonly recorder: RunRecorder;
  private readonly store: KvStore;
  private readonly blockTokens: number;
  private now = 0;

  // Request pool: one record and one row of typed arrays per slot, recycled.
  private records: RequestRecord[] = [];
  private blockSources: Int8Array[] = [];
  private freeSlots: number[] = [];
  private state = new Uint8Array(0);
  private inStep = new Uint8Array(0);
  private arrivalAt = new Float64Array(0);
  private firstTokenAt = new Float64Array(0);
  private generated = new Int32Array(0);
  private reservedBytes = new Float64Array(0);
  private usedTokens = new Int32Array(0);
  private usableBlocks = new Int32Array(0);

  // FCFS queue of waiting slots, a ring buffer.
  private waiting = new Int32Array(1024);
  private waitingHead = 0;
  private waitingCount = 0;

  private running: Int32Array;
  private runningCount = 0;
  private reservedTotal = 0;
  private stepActive = false;
  private stepStartAt = 0;

  constructor(options: SimulatorOptions) {
    this.options = options;
    this.recorder = options.recorder;
    this.store = options.store;
    this.blockTokens = options.workload.blockTokens;
    this.running = new Int32Array(options.maxBatchRequests);
  }

  /** Runs until every request has completed and returns the recorder. */
  run(): RunRecorder {
    this.scheduleNextArrival();
    const events = this.events;
    const onProgress = this.options.onProgress;
    while (events.pop()) {
      this.now = events.poppedTime;
      const slot = events.poppedArg;
      const count = ++this.recorder.events;
      switch (events.poppedKind) {
        case EVENT_ARRIVAL:
          this.enqueue(slot);
          this.scheduleNextArrival();
          break;
        case EVENT_TURN:
          this.enqueue(slot);
          break;
        case EVENT_LOAD_DONE:
          this.state[slot] = STATE_READY;
          break;
        case EVENT_STEP_DONE:
          this.finishStep();
          break;
      }
      this.schedule();
      if (onProgress !== undefined && (count & 0xffff) === 0) onProgress(this.now);
    }
    this.recorder.endAt = this.now;
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
    this.state[slot] = STATE_WAITING;
    this.arrivalAt[slot] = this.now;
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
      this.running[this.runningCount++] = slot;
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
    if (this.blockSources[slot].length < blockCount) this.blockSources[slot] = new Int8Array(Math.max(blockCount, this.blockSources[slot].length * 2));
    const sources = this.blockSources[slot];

    recorder.queueNs.record(this.now - this.arrivalAt[slot]);
    recorder.promptTokens += inputTokens;
    recorder.promptBlocks += blockCount;

    // Find where each block is; the usable prefix ends at the first block no tier holds.
    let usable = blockCount;
    for (let i = 0; i < blockCount; i++) {
      const handle = store.find(record.promptBlockIds[i]);
      const tier = handle < 0 ? -1 : store.sourceTier(handle);
      if (tier >= 0) {
        recorder.presentBlocks[tierKinds[tier]]++;
        if (i >= usable) {
          recorder.presentUnusedBlocks++;
          recorder.presentUnusedTokens += tokensOfBlock(i, inputTokens, blockTokens);
        }
      } else if (usable === blockCount) {
        usable = i;
      }
      sources[i] = i < usable ? tier : -1;
    }

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
      usedTokens += tokens;
      if (kind + 1 > deepest) deepest = kind + 1;
    }
    recorder.requestsBySource[deepest]++;
    this.usedTokens[slot] = usedTokens;
    this.usableBlocks[slot] = usable;

    recorder.loadNs.record(loadDoneAt - this.now);
    if (loadDoneAt > this.now) {
      this.state[slot] = STATE_LOADING;
      this.events.push(loadDoneAt, EVENT_LOAD_DONE, slot);
    } else {
      this.state[slot] = STATE_READY;
    }
  }

  // Plans the loads of each contiguous range of usable blocks below the GPU and returns the
  // instant the last kept load completes. A range the load rule recomputes is marked RECOMPUTED.
  private planLoads(slot: number, usable: number): number {
    const record = this.records[slot];
    const sources = this.blockSources[slot];
    const rule = this.options.loadRule;
    const blockTokens = this.blockTokens;
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
        if (rule === 'cheaper' && rangeDoneAt - this.now > this.options.compute.prefillNs(rangeTokens, start * blockTokens)) {
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

  // Reads a block from a lower tier's device, then moves it over the link; returns the completion.
  private submitLoad(tier: number, bytes: number): number {
    const device = this.options.tierDevices[tier] as DeviceQueue;
    const readAt = device.submit(Operation.Read, this.now, bytes);
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
  private startStep(): void {
    const compute = this.options.compute;
    let stepNs = 0;
    let decodeCount = 0;
    let decodeContextTokens = 0;
    for (let i = 0; i < this.runningCount; i++) {
      const slot = this.running[i];
      const state = this.state[slot];
      if (state === STATE_READY) {
        const record = this.records[slot];
        const cachedTokens = this.usedTokens[slot];
        const newTokens = Math.max(1, record.inputTokens - cachedTokens);
        stepNs += compute.prefillNs(newTokens, cachedTokens);
        this.recorder.prefillTokens += newTokens;
        this.inStep[slot] = IN_STEP_PREFILL;
      } else if (state === STATE_DECODING) {
        decodeCount++;
        decodeContextTokens += this.records[slot].inputTokens + this.generated[slot];
        this.inStep[slot] = IN_STEP_DECODE;
      }
    }
    if (stepNs === 0 && decodeCount === 0) return;
    stepNs += compute.decodeStepNs(decodeCount, decodeContextTokens);
    if (stepNs < 1) stepNs = 1;
    this.stepActive = true;
    this.stepStartAt = this.now;
    this.recorder.steps++;
    this.events.push(this.now + stepNs, EVENT_STEP_DONE, 0);
  }

  // Emits first tokens for prefilled requests and one token for each decoding request, then
  // completes requests that have generated all their tokens.
  private finishStep(): void {
    this.stepActive = false;
    this.recorder.gpuBusyNs += this.now - this.stepStartAt;
    let kept = 0;
    for (let i = 0; i < this.runningCount; i++) {
      const slot = this.running[i];
      const inStep = this.inStep[slot];
      this.inStep[slot] = IN_STEP_NONE;
      if (inStep === IN_STEP_PREFILL) {
        this.firstTokenAt[slot] = this.now;
        this.recorder.ttftNs.record(this.now - this.arrivalAt[slot]);
        this.generated[slot] = 1;
        this.state[slot] = STATE_DECODING;
        this.commitPrompt(slot);
      } else if (inStep === IN_STEP_DECODE) {
        this.generated[slot]++;
        this.recorder.decodeTokens++;
      }
      if (inStep !== IN_STEP_NONE && this.generated[slot] >= this.records[slot].outputTokens) {
        this.complete(slot);
      } else {
        this.running[kept++] = slot;
      }
    }
    this.runningCount = kept;
  }

  private complete(slot: number): void {
    const record = this.records[slot];
    const recorder = this.recorder;
    recorder.requestsCompleted++;
    recorder.e2eNs.record(this.now - this.arrivalAt[slot]);
    if (record.outputTokens > 1) recorder.tpotNs.record((this.now - this.firstTokenAt[slot]) / (record.outputTokens - 1));
    this.reservedTotal -= this.reservedBytes[slot];
    this.commitOutput(slot);
    this.state[slot] = STATE_FREE;
    if (this.options.workload.nextTurn(record, this.now, record)) {
      const at = record.arrivalAt < this.now ? this.now : record.arrivalAt;
      this.events.push(at, EVENT_TURN, slot);
    } else {
      this.freeSlot(slot);
    }
  }

  // Touches or inserts the prompt's blocks in the GPU tier, head first, once prefill has computed
  // or loaded them, so that later requests (the session's next turn among them) can hit them.
  private commitPrompt(slot: number): void {
    const record = this.records[slot];
    const store = this.store;
    const access = store.access;
    const sources = this.blockSources[slot];
    const usable = this.usableBlocks[slot];
    access.now = this.now;
    access.session = record.sessionId;
    for (let i = 0; i < record.promptBlockCount; i++) {
      const readFrom = i < usable && sources[i] > 0 ? sources[i] : -1;
      access.position = i;
      access.accessIndex++;
      store.touch(record.promptBlockIds[i], tokensOfBlock(i, record.inputTokens, this.blockTokens), readFrom);
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
    access.now = this.now;
    access.session = record.sessionId;
    for (let i = 0; i < record.contextBlockCount; i++) {
      const id = record.contextBlockIds[i];
      if (i < record.promptBlockCount && id === record.promptBlockIds[i]) continue;
      access.position = i;
      access.accessIndex++;
      store.touch(id, tokensOfBlock(i, totalTokens, this.blockTokens), -1);
    }
  }

  private allocateSlot(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    const slot = this.records.length;
    this.records.push(createRequestRecord());
    this.blockSources.push(new Int8Array(64));
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
    this.state = grow(this.state, (n) => new Uint8Array(n));
    this.inStep = grow(this.inStep, (n) => new Uint8Array(n));
    this.arrivalAt = grow(this.arrivalAt, (n) => new Float64Array(n));
    this.firstTokenAt = grow(this.firstTokenAt, (n) => new Float64Array(n));
    this.generated = grow(this.generated, (n) => new Int32Array(n));
    this.reservedBytes = grow(this.reservedBytes, (n) => new Float64Array(n));
    this.usedTokens = grow(this.usedTokens, (n) => new Int32Array(n));
    this.usableBlocks = grow(this.usableBlocks, (n) => new Int32Array(n));
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
