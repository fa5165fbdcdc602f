// GPU compute time of prefill and decode.
//
// Prefill is compute-bound: a new token costs about 2 x active parameters FLOPs in the matrix
// multiplications, plus attention over the context before it, 4 x layers x hidden size FLOPs per
// context token (the QK^T and AV products, 2 FLOPs per multiply-add each). Prefilling n new tokens
// after c cached ones therefore costs 2 P n + 4 L H (n c + n^2 / 2) FLOPs, divided by the GPU's peak
// times an achieved-utilisation factor. Decode is memory-bound: each step reads the weights once
// and the KV of every sequence in the batch, over HBM bandwidth times a utilisation factor; the
// step takes the larger of that and its FLOPs over the achieved peak.
//
// NOTE: attention FLOPs use the hidden size for every model. For multi-head latent attention
// (DeepSeek-V3) this is an approximation, and a mixture-of-experts model reads only its active
// parameters per step here, which understates weight traffic at large batch sizes.

import type { GpuSpec } from '../devices/gpus.js';
import type { ModelSpec } from './models.js';
import { NS_PER_SEC } from './time.js';

export interface ComputeSettings {
  /** Achieved fraction of peak FLOPs during prefill. */
  prefillUtilization: number;
  /** Achieved fraction of peak HBM bandwidth during decode. */
  decodeBandwidthUtilization: number;
  /** Number of GPUs serving one model replica with tensor parallelism; FLOPs and bandwidth scale with it. */
  tensorParallel: number;
}

export class ComputeModel {
  /** Bytes of weights held in HBM per GPU. */
  readonly weightBytesPerGpu: number;
  private readonly nsPerFlop: number;
  private readonly nsPerHbmByte: number;
  private readonly linearFlopsPerToken: number;
  private readonly attentionFlopsPerTokenPair: number;
  private readonly weightBytesPerStep: number;
  private readonly kvBytesPerToken: number;

  constructor(model: ModelSpec, gpu: GpuSpec, kvBytesPerToken: number, settings: ComputeSettings) {
    // FP8 weights run the matrix multiplications at the GPU's FP8 peak; otherwise at its BF16 peak.
    const peakFlopsPerSec = (model.weightBytesPerParameter <= 1 ? gpu.fp8FlopsPerSec : gpu.bf16FlopsPerSec) * settings.tensorParallel;
    this.nsPerFlop = NS_PER_SEC / (peakFlopsPerSec * settings.prefillUtilization);
    this.nsPerHbmByte = NS_PER_SEC / (gpu.hbmBytesPerSec * settings.tensorParallel * settings.decodeBandwidthUtilization);
    this.linearFlopsPerToken = 2 * model.activeParameters;
    this.attentionFlopsPerTokenPair = 4 * model.layers * model.hiddenSize;
    this.weightBytesPerStep = model.activeParameters * model.weightBytesPerParameter;
    this.weightBytesPerGpu = (model.parameters * model.weightBytesPerParameter) / settings.tensorParallel;
    this.kvBytesPerToken = kvBytesPerToken;
  }

  /** FLOPs to prefill `newTokens` tokens after `cachedTokens` tokens of context. */
  prefillFlops(newTokens: number, cachedTokens: number): number {
    return this.linearFlopsPerToken * newTokens + this.attentionFlopsPerTokenPair * (newTokens * cachedTokens + (newTokens * newTokens) / 2);
  }

  /** Time to prefill `newTokens` tokens after `cachedTokens` tokens of context, in ns. */
  prefillNs(newTokens: number, cachedTokens: number): number {
    return Math.ceil(this.prefillFlops(newTokens, cachedTokens) * this.nsPerFlop);
  }

  /** Time of one decode step for `batchSize` sequences holding `batchContextTokens` tokens in all, in ns. */
  decodeStepNs(batchSize: number, batchContextTokens: number): number {
    if (batchSize === 0) return 0;
    const memoryNs = (this.weightBytesPerStep + batchContextTokens * this.kvBytesPerToken) * this.nsPerHbmByte;
    const computeNs = (this.linearFlopsPerToken * batchSize + this.attentionFlopsPerTokenPair * batchContextTokens) * this.nsPerFlop;
    return Math.ceil(memoryNs > computeNs ? memoryNs : computeNs);
  }
}
