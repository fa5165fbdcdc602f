// Builds a run from a validated scenario (presets resolved, capacities derived, devices, KV store,
// compute model and workload created) and runs it.

import { DeviceQueue, Operation, stripeDevices, type DeviceSpec } from '../devices/device.js';
import { getGpu, type GpuSpec } from '../devices/gpus.js';
import { ReadBackTracker, ssdEndurance } from '../devices/endurance.js';
import { createDeviceQueue } from '../devices/nvme-queue.js';
import { DEVICE_PRESETS, getDevicePreset, getStorageDevice } from '../devices/presets.js';
import { parseAdmission } from '../policies/admission.js';
import { parsePolicySpec } from '../policies/registry.js';
import { RunRecorder, TIER_NAMES, type TierName } from '../results/recorder.js';
import { TimeSeries } from '../results/timeseries.js';
import type { RunFacts } from '../results/summary.js';
import { MooncakeTrace } from '../workloads/mooncake.js';
import { createRng } from '../workloads/random.js';
import type { Workload } from '../workloads/request.js';
import { SyntheticWorkload } from '../workloads/synthetic.js';
import { createTraceWorkload } from '../workloads/traces.js';
import { ComputeModel } from './compute.js';
import { KvStore, type TierSpec } from './kv-store.js';
import { getModel, kvBytesPerToken, type ModelSpec } from './models.js';
import { ScenarioError, type Scenario } from './scenario.js';
import type { RequestOutcome } from '../results/request-log.js';
import { Simulator } from './simulator.js';

/** Host DRAM tier capacity when the scenario sets it to `auto`. */
const DEFAULT_DRAM_BYTES = 256e9;

/** One tier as the run resolved it. */
export interface ResolvedTier extends TierSpec {
  /** Device preset of the tier, or null for the GPU tier. */
  device: DeviceSpec | null;
  /** Whether loads from the tier skip the host link (GPU-direct storage). */
  direct: boolean;
}

/** Everything a scenario's names and `auto` values resolved to. */
export interface ResolvedRun {
  model: ModelSpec;
  gpu: GpuSpec;
  link: DeviceSpec;
  kvBytesPerToken: number;
  blockTokens: number;
  weightBytes: number;
  hbmBytes: number;
  /** Capacity of the GPU cache tier; with a dynamic tier, its maximum (all free HBM). */
  gpuCacheBytes: number;
  inflightBudgetBytes: number;
  /** Whether the GPU cache tier takes what running requests leave of the free HBM. */
  dynamicGpuCache: boolean;
  tiers: ResolvedTier[];
}

export interface RunResult {
  scenario: Scenario;
  resolved: ResolvedRun;
  recorder: RunRecorder;
  store: KvStore;
  /** Device queues of the tiers (null for the GPU) and of the link, after the run. */
  tierDevices: (DeviceQueue | null)[];
  link: DeviceQueue;
  /** Per-minute samples, when the scenario records them. */
  timeSeries: TimeSeries | null;
  /** Blocks written to the SSD tier that were read back. */
  ssdReadBack: ReadBackTracker;
}

export interface RunOptions {
  /** Called now and then with the simulated time, for progress display. */
  onProgress?: (now: number) => void;
  /** Receives every completed request (the outcome object is reused: copy what you keep). */
  requestLog?: (outcome: RequestOutcome) => void;
  /** Called once the run is set up, before its first event, with the resolved run. */
  onStart?: (run: { scenario: Scenario; resolved: ResolvedRun }) => void;
}

/** Resolves presets and capacities; throws ScenarioError when they do not fit together. */
export function resolveRun(scenario: Scenario, blockTokens: number): ResolvedRun {
  const preset = getModel(scenario.model.preset);
  const model: ModelSpec = {
    ...preset,
    weightBytesPerParameter: scenario.model.weightBytesPerParameter ?? preset.weightBytesPerParameter,
    kvBytesPerElement: scenario.model.kvBytesPerElement ?? preset.kvBytesPerElement,
  };
  const gpu = getGpu(scenario.gpu.preset);
  const tensorParallel = scenario.gpu.tensorParallel;
  const link = stripeDevices(getDevicePreset(scenario.link.preset), tensorParallel);
  const bytesPerToken = kvBytesPerToken(model);

  const hbmBytes = gpu.hbmBytes * tensorParallel;
  const weightBytes = model.parameters * model.weightBytesPerParameter;
  const freeBytes = hbmBytes * scenario.gpu.memoryUtilization - weightBytes;
  if (freeBytes <= 0) {
    throw new ScenarioError(
      `model ${model.name} needs ${(weightBytes / 1e9).toFixed(1)} GB of weights but ${tensorParallel} x ${gpu.name} offers ` +
        `${((hbmBytes * scenario.gpu.memoryUtilization) / 1e9).toFixed(1)} GB at gpu.memoryUtilization ${scenario.gpu.memoryUtilization}: ` +
        'raise gpu.tensorParallel, use FP8 weights (model.weightBytesPerParameter 1) or a larger GPU',
    );
  }
  const gpuTier = scenario.tiers.gpu;
  // `auto`: the cache tier shares the free HBM with running requests (see SimulatorOptions.dynamicGpuCache).
  const dynamicGpuCache = gpuTier.capacity === 'auto';
  const gpuCacheBytes = gpuTier.capacity === 'auto' ? Math.floor(freeBytes) : gpuTier.capacity;
  if (!dynamicGpuCache && gpuCacheBytes >= freeBytes) {
    throw new ScenarioError(
      `tiers.gpu.capacity is ${gpuCacheBytes} bytes but only ${Math.floor(freeBytes)} bytes of HBM are free after weights: ` +
        'leave room for the KV of running requests',
    );
  }

  const tiers: ResolvedTier[] = [
    { name: 'gpu', capacity: gpuCacheBytes, policy: parsePolicySpec(gpuTier.policy), writeMode: gpuTier.writeMode, writeSelectiveHits: gpuTier.writeSelectiveHits, exclusive: false, device: null, direct: false },
  ];
  const dram = scenario.tiers.dram;
  if (dram.enabled) {
    const capacity = dram.capacity === 'auto' ? DEFAULT_DRAM_BYTES : dram.capacity;
    requireDeviceKind('dram', dram.device, 'dram');
    if (capacity > 0) {
      tiers.push({ name: 'dram', capacity, policy: parsePolicySpec(dram.policy), admission: parseAdmission(dram.admission), writeMode: dram.writeMode, writeSelectiveHits: dram.writeSelectiveHits, exclusive: dram.exclusive, device: getDevicePreset(dram.device), direct: false });
    }
  }
  const ssd = scenario.tiers.ssd;
  if (ssd.enabled) {
    requireDeviceKind('ssd', ssd.device, 'nvme');
    const drive = stripeDevices(getStorageDevice(ssd.device), ssd.count);
    if (ssd.capacity === 'auto' && !(drive.capacityBytes! > 0)) {
      throw new ScenarioError(
        `tiers.ssd.capacity is auto but device ${ssd.device} has no capacity: set tiers.ssd.capacity (--ssd-capacity 2TB), or disable the tier with 0`,
      );
    }
    const capacity = ssd.capacity === 'auto' ? (drive.capacityBytes as number) : ssd.capacity;
    if (capacity > 0) {
      tiers.push({ name: 'ssd', capacity, policy: parsePolicySpec(ssd.policy), admission: parseAdmission(ssd.admission), writeMode: ssd.writeMode, writeSelectiveHits: ssd.writeSelectiveHits, exclusive: ssd.exclusive, device: drive, direct: ssd.gpuDirect });
    }
  }

  for (const tier of tiers) checkTierPolicy(tier, blockTokens * bytesPerToken);

  return {
    model,
    gpu,
    link,
    kvBytesPerToken: bytesPerToken,
    blockTokens,
    weightBytes,
    hbmBytes,
    gpuCacheBytes,
    inflightBudgetBytes: dynamicGpuCache ? Math.floor(freeBytes) : Math.floor(freeBytes - gpuCacheBytes),
    dynamicGpuCache,
    tiers,
  };
}

// Rejects a device preset of the wrong kind for a tier (a link as an SSD, say); profile files are NVMe.
function requireDeviceKind(tier: string, device: string, kind: 'dram' | 'nvme'): void {
  if (device.endsWith('.json')) {
    if (kind === 'nvme') return;
    throw new ScenarioError(`tiers.${tier}.device is the profile ${device}, but profiles describe NVMe drives: expected a ${kind} preset`);
  }
  const preset = getDevicePreset(device);
  if (preset.kind !== kind) {
    const candidates = DEVICE_PRESETS.filter((candidate) => candidate.kind === kind).map((candidate) => candidate.name);
    throw new ScenarioError(`tiers.${tier}.device is ${device}, a ${preset.kind} preset: expected one of ${candidates.join(', ')}`);
  }
}

// Rejects an offline policy in a full run, and a policy that could never admit one block.
function checkTierPolicy(tier: ResolvedTier, blockBytes: number): void {
  const definition = tier.policy.definition;
  if (definition.offline === true) {
    throw new ScenarioError(
      `tiers.${tier.name}.policy is ${tier.policy.label}, an offline policy that needs each block's next use, which only replays know ` +
        '(kvtier cachesim): choose an online policy (kvtier policies lists them)',
    );
  }
  const share = definition.largestObjectShare?.(tier.policy.params);
  if (share !== undefined && tier.capacity > 0 && blockBytes > share * tier.capacity) {
    throw new ScenarioError(
      `tiers.${tier.name}.policy ${tier.policy.label} admits objects up to ${(share * 100).toFixed(1)}% of the tier ` +
        `(${(share * tier.capacity / 1e6).toFixed(1)} MB) but one KV block is ${(blockBytes / 1e6).toFixed(1)} MB: ` +
        `raise the policy's share parameter or the tier's capacity`,
    );
  }
}

/** Creates the scenario's workload. */
export function createWorkload(scenario: Scenario): Workload {
  const workload = scenario.workload;
  if (workload.kind === 'mooncake') return new MooncakeTrace(workload.path, { blockTokens: workload.blockTokens });
  if (workload.kind !== 'synthetic') return createTraceWorkload(workload, scenario.seed);
  const { kind: _kind, ...config } = workload;
  return new SyntheticWorkload(config, scenario.seed);
}

/** Runs a validated scenario to completion. */
export function runScenario(scenario: Scenario, options: RunOptions = {}): RunResult {
  const { simulator, result } = startRun(scenario, options);
  try {
    simulator.run();
    return result;
  } finally {
    result.workloadClose();
  }
}

/** Events simulated between two checks of `shouldStop` in `runScenarioInSlices`. */
const SLICE_EVENTS = 1 << 18;

/**
 * Runs a validated scenario in slices, yielding to the event loop between them so that a signal
 * handler can run, and stops early when `shouldStop` returns true. The result is then partial: it
 * covers the simulated time up to the stop.
 */
export async function runScenarioInSlices(scenario: Scenario, options: RunOptions, shouldStop: () => boolean): Promise<RunResult & { partial: boolean }> {
  const { simulator, result } = startRun(scenario, options);
  try {
    let partial = false;
    while (simulator.advance(SLICE_EVENTS)) {
      await new Promise((resolve) => setImmediate(resolve));
      if (shouldStop()) {
        partial = true;
        break;
      }
    }
    simulator.finish();
    return { ...result, partial };
  } finally {
    result.workloadClose();
  }
}

// Builds everything a run needs; the caller runs the simulator and then closes the workload.
function startRun(scenario: Scenario, options: RunOptions): { simulator: Simulator; result: RunResult & { workloadClose: () => void } } {
  const workload = createWorkload(scenario);
  try {
    const resolved = resolveRun(scenario, workload.blockTokens);
    // A fitted NVMe profile draws per-command latencies from its own seeded stream.
    const tierDevices = resolved.tiers.map((tier) => (tier.device === null ? null : createDeviceQueue(tier.device, createRng(scenario.seed, `device/${tier.name}`))));
    const ssdTier = resolved.tiers.findIndex((tier) => tier.name === 'ssd');
    const ssdReadBack = new ReadBackTracker();
    const link = new DeviceQueue(resolved.link);
    const store = new KvStore(resolved.tiers, {
      bytesPerToken: resolved.kvBytesPerToken,
      // Writes into a lower tier occupy its device, and cross the link when they leave the GPU.
      onWrite: (tier, handle, sizeBytes, fromTier) => {
        // A write into the GPU tier from the SSD tier is a copy-up, so a read of the SSD copy.
        if (tier === ssdTier) ssdReadBack.written(handle);
        else if (fromTier === ssdTier && ssdTier >= 0) ssdReadBack.read(handle);
        const device = tierDevices[tier];
        if (device === null) return;
        let at = store.access.now;
        if (fromTier === 0) at = link.submit(Operation.Write, at, sizeBytes);
        device.submit(Operation.Write, at, sizeBytes);
      },
    });
    const compute = new ComputeModel(resolved.model, resolved.gpu, resolved.kvBytesPerToken, {
      prefillUtilization: scenario.gpu.prefillUtilization,
      decodeBandwidthUtilization: scenario.gpu.decodeBandwidthUtilization,
      tensorParallel: scenario.gpu.tensorParallel,
    });
    const recorder = new RunRecorder();
    const timeSeries = scenario.record.timeSeries ? new TimeSeries() : null;
    const simulator = new Simulator({
      store,
      tierKinds: resolved.tiers.map((tier) => TIER_NAMES.indexOf(tier.name as (typeof TIER_NAMES)[number])),
      tierDevices,
      tierDirect: resolved.tiers.map((tier) => tier.direct),
      link,
      compute,
      layers: resolved.model.layers,
      kvBytesPerToken: resolved.kvBytesPerToken,
      weightBytes: resolved.weightBytes,
      inflightBudgetBytes: resolved.inflightBudgetBytes,
      dynamicGpuCache: resolved.dynamicGpuCache,
      maxBatchRequests: scenario.scheduler.maxBatchRequests,
      chunkTokens: scenario.scheduler.chunkTokens,
      loadRule: scenario.loadRule,
      overlap: scenario.overlap,
      sloTtftNs: scenario.slo.ttftMs * 1e6,
      sloTpotNs: scenario.slo.tpotMs * 1e6,
      workload,
      recorder,
      timeSeries,
      requestLog: options.requestLog ?? null,
      onProgress: options.onProgress,
    });
    const result = { scenario, resolved, recorder, store, tierDevices, link, timeSeries, ssdReadBack, workloadClose: () => workload.close() };
    options.onStart?.({ scenario, resolved });
    return { simulator, result };
  } catch (error) {
    workload.close();
    throw error;
  }
}

/** Collects what the summary reports from a finished run. */
export function collectRunFacts(result: RunResult, kvtierVersion: string): RunFacts {
  const { scenario, resolved, store, recorder } = result;
  return {
    kvtierVersion,
    scenario: scenario.name,
    seed: scenario.seed,
    recorder,
    tiers: resolved.tiers.map((tier, index) => ({
      name: tier.name as TierName,
      capacityBytes: tier.capacity,
      policy: tier.policy.label,
      blocksWritten: store.writtenBlocks[index],
      bytesWritten: store.writtenBytes[index],
      evictions: store.evictedBlocks[index],
      demotions: store.demotedBlocks[index],
      drops: store.droppedBlocks[index],
      residentBlocks: store.tiers[index].residentCount,
      usedBytes: store.tiers[index].used,
    })),
    memory: {
      kvBytesPerToken: resolved.kvBytesPerToken,
      blockTokens: resolved.blockTokens,
      weightBytes: resolved.weightBytes,
      gpuCacheBytes: resolved.gpuCacheBytes,
      inflightBudgetBytes: resolved.inflightBudgetBytes,
    },
    slo: { ttftMs: scenario.slo.ttftMs, tpotMs: scenario.slo.tpotMs },
    ssdDrive: collectSsdFacts(result),
  };
}

// Endurance of the SSD tier's drive under the run's writes; null without an SSD tier.
function collectSsdFacts(result: RunResult): RunFacts['ssdDrive'] {
  const index = result.resolved.tiers.findIndex((tier) => tier.name === 'ssd');
  if (index < 0) return null;
  const drive = result.resolved.tiers[index].device as DeviceSpec;
  const ssd = result.scenario.tiers.ssd;
  const endurance = ssdEndurance(
    drive,
    {
      hostBytesWritten: result.store.writtenBytes[index],
      blocksWritten: result.store.writtenBlocks[index],
      liveBytes: result.store.tiers[index].used,
      simulatedSeconds: result.recorder.endAt / 1e9,
    },
    { ratedDwpd: ssd.ratedDwpd, warrantyYears: ssd.warrantyYears },
  );
  return { readBackBlocks: result.ssdReadBack.readBackBlocks, ...endurance };
}
