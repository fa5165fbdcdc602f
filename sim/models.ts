// Model presets and the size of their KV cache per token.
//
// Shapes come from each model's published config.json (num_hidden_layers, num_attention_heads,
// num_key_value_heads, hidden_size; head dimension = hidden_size / num_attention_heads). Dense
// parameter counts are computed from the same config, counting the untied input embedding and
// output head (and the QKV biases of Qwen2.5).
//
// KV bytes per token: standard and grouped-query attention store one key and one value vector per
// KV head and layer, so 2 x layers x KV heads x head dimension x bytes per element. Multi-head
// latent attention (DeepSeek-V3) stores one compressed latent plus one RoPE key per layer, shared
// by all heads, so layers x (latent + RoPE dimension) x bytes per element, with no factor 2.

export interface ModelSpec {
  /** Preset name, for example `llama3.1-70b`. */
  name: string;
  /** Short description of the model. */
  description: string;
  /** Source of the figures: the model card or config.json, with a date. */
  source: string;
  /** Total parameter count. */
  parameters: number;
  /** Parameters used per token: equal to `parameters` for dense models, the activated experts' share for mixture-of-experts models. */
  activeParameters: number;
  layers: number;
  hiddenSize: number;
  attentionHeads: number;
  /** Heads that store keys and values, or 1 for multi-head latent attention, whose latent all heads share. */
  kvHeads: number;
  headDim: number;
  attention: 'mha' | 'gqa' | 'mla';
  /** Width of the compressed KV latent (kv_lora_rank), for multi-head latent attention only. */
  latentDim?: number;
  /** Width of the decoupled RoPE key stored beside the latent (qk_rope_head_dim), for multi-head latent attention only. */
  ropeDim?: number;
  /** Bytes per cached key or value element: 2 for FP16/BF16. */
  kvBytesPerElement: number;
  /** Bytes per weight: 2 for BF16, 1 for FP8. */
  weightBytesPerParameter: number;
}

/**
 * Unknown model or invalid model specification. Errors whose `code` is `ERR_KVTIER_INPUT` are the
 * user's to fix, and the CLI exits with status 2 on them.
 */
export class ModelError extends Error {
  readonly code = 'ERR_KVTIER_INPUT';

  constructor(message: string) {
    super(message);
    this.name = 'ModelError';
  }
}

const LLAMA2_70B_SOURCE =
  'config.json of meta-llama/Llama-2-70b-hf, July 2023 (80 layers, 64 attention heads, 8 KV heads, hidden size 8192); ' +
  'parameter count computed from that config';

const PRESETS: ModelSpec[] = [
  {
    name: 'llama2-70b-mha',
    description:
      "LLaMA-2-70B as if all 64 attention heads stored K and V (the arithmetic of Memblaze's article, not the real model)",
    source:
      'Memblaze, "KV Cache Meets NVMe: The Key to Accelerating LLM Inference", June 2025, which takes 80 layers x 64 heads x 128 ' +
      `x 2 bytes, about 2.6 MB per token; layers, width and parameters from the ${LLAMA2_70B_SOURCE}`,
    // The real parameter count, so that compute and weight memory match LLaMA-2-70B. True multi-head
    // K and V projections would add 2 x 80 x 8192 x 7168 = 9.4e9 parameters.
    parameters: 68_976_648_192,
    activeParameters: 68_976_648_192,
    layers: 80,
    hiddenSize: 8192,
    attentionHeads: 64,
    kvHeads: 64,
    headDim: 128,
    attention: 'mha',
    kvBytesPerElement: 2,
    weightBytesPerParameter: 2,
  },
  {
    name: 'llama2-70b',
    description: 'LLaMA-2-70B, grouped-query attention with 8 KV heads (the real model)',
    source: LLAMA2_70B_SOURCE,
    parameters: 68_976_648_192,
    activeParameters: 68_976_648_192,
    layers: 80,
    hiddenSize: 8192,
    attentionHeads: 64,
    kvHeads: 8,
    headDim: 128,
    attention: 'gqa',
    kvBytesPerElement: 2,
    weightBytesPerParameter: 2,
  },
  {
    name: 'llama3.1-8b',
    description: 'Llama 3.1 8B, grouped-query attention with 8 KV heads',
    source:
      'config.json of meta-llama/Llama-3.1-8B, July 2024 (32 layers, 32 attention heads, 8 KV heads, hidden size 4096, ' +
      'vocabulary 128256); parameter count computed from that config',
    parameters: 8_030_261_248,
    activeParameters: 8_030_261_248,
    layers: 32,
    hiddenSize: 4096,
    attentionHeads: 32,
    kvHeads: 8,
    headDim: 128,
    attention: 'gqa',
    kvBytesPerElement: 2,
    weightBytesPerParameter: 2,
  },
  {
    name: 'llama3.1-70b',
    description: 'Llama 3.1 70B, grouped-query attention with 8 KV heads',
    source:
      'config.json of meta-llama/Llama-3.1-70B-Instruct, July 2024 (80 layers, 64 attention heads, 8 KV heads, hidden size 8192, ' +
      'vocabulary 128256); parameter count computed from that config',
    parameters: 70_553_706_496,
    activeParameters: 70_553_706_496,
    layers: 80,
    hiddenSize: 8192,
    attentionHeads: 64,
    kvHeads: 8,
    headDim: 128,
    attention: 'gqa',
    kvBytesPerElement: 2,
    weightBytesPerParameter: 2,
  },
  {
    name: 'llama3.1-70b-fp8',
    description: 'Llama 3.1 70B with FP8 weights (as in its FP8 checkpoints) and a BF16 KV cache; fits one H200',
    source:
      'config.json of meta-llama/Llama-3.1-70B-Instruct, July 2024, as llama3.1-70b; one byte per weight as in FP8-quantised ' +
      'checkpoints of the model',
    parameters: 70_553_706_496,
    activeParameters: 70_553_706_496,
    layers: 80,
    hiddenSize: 8192,
    attentionHeads: 64,
    kvHeads: 8,
    headDim: 128,
    attention: 'gqa',
    kvBytesPerElement: 2,
    weightBytesPerParameter: 1,
  },
  {
    name: 'mistral-7b',
    description: 'Mistral 7B v0.1, grouped-query attention with 8 KV heads',
    source:
      'config.json of mistralai/Mistral-7B-v0.1, September 2023 (32 layers, 32 attention heads, 8 KV heads, hidden size 4096); ' +
      'parameter count computed from that config',
    parameters: 7_241_732_096,
    activeParameters: 7_241_732_096,
    layers: 32,
    hiddenSize: 4096,
    attentionHeads: 32,
    kvHeads: 8,
    headDim: 128,
    attention: 'gqa',
    kvBytesPerElement: 2,
    weightBytesPerParameter: 2,
  },
  {
    name: 'qwen2.5-7b',
    description: 'Qwen2.5 7B, grouped-query attention with 4 KV heads',
    source:
      'config.json of Qwen/Qwen2.5-7B, September 2024 (28 layers, 28 attention heads, 4 KV heads, hidden size 3584); ' +
      'parameter count computed from that config, QKV biases included',
    parameters: 7_615_616_512,
    activeParameters: 7_615_616_512,
    layers: 28,
    hiddenSize: 3584,
    attentionHeads: 28,
    kvHeads: 4,
    headDim: 128,
    attention: 'gqa',
    kvBytesPerElement: 2,
    weightBytesPerParameter: 2,
  },
  {
    name: 'qwen2.5-72b',
    description: 'Qwen2.5 72B, grouped-query attention with 8 KV heads',
    source:
      'config.json of Qwen/Qwen2.5-72B, September 2024 (80 layers, 64 attention heads, 8 KV heads, hidden size 8192); ' +
      'parameter count computed from that config, QKV biases included',
    parameters: 72_706_203_648,
    activeParameters: 72_706_203_648,
    layers: 80,
    hiddenSize: 8192,
    attentionHeads: 64,
    kvHeads: 8,
    headDim: 128,
    attention: 'gqa',
    kvBytesPerElement: 2,
    weightBytesPerParameter: 2,
  },
  {
    name: 'deepseek-v3',
    description: 'DeepSeek-V3, mixture of experts with multi-head latent attention (one 512 + 64 latent per layer)',
    source:
      'model card of deepseek-ai/DeepSeek-V3, December 2024 (671B parameters, 37B activated per token) and its config.json ' +
      '(61 layers, 128 attention heads, hidden size 7168, kv_lora_rank 512, qk_rope_head_dim 64, FP8 weights)',
    parameters: 671e9,
    activeParameters: 37e9,
    layers: 61,
    hiddenSize: 7168,
    attentionHeads: 128,
    kvHeads: 1,
    // qk_nope_head_dim and v_head_dim. The cached latent, not this, sets the KV size.
    headDim: 128,
    attention: 'mla',
    latentDim: 512,
    ropeDim: 64,
    kvBytesPerElement: 2,
    // The released checkpoint stores its weights in FP8.
    weightBytesPerParameter: 1,
  },
];

export const MODELS: readonly ModelSpec[] = Object.freeze(PRESETS.map((model) => Object.freeze(model)));

/** Returns the preset named `name`; throws a ModelError listing the known names when there is none. */
export function getModel(name: string): ModelSpec {
  const model = MODELS.find((candidate) => candidate.name === name);
  if (model === undefined) {
    const known = MODELS.map((candidate) => candidate.name).join(', ');
    throw new ModelError(`unknown model "${name}": expected one of ${known}`);
  }
  return model;
}

/**
 * Computes the KV-cache bytes one token occupies across all layers. Throws a ModelError when a
 * multi-head latent attention model lacks `latentDim` or `ropeDim`.
 */
export function kvBytesPerToken(model: ModelSpec): number {
  if (model.attention === 'mla') {
    if (model.latentDim === undefined || model.ropeDim === undefined) {
      throw new ModelError(`model "${model.name}" uses multi-head latent attention but has no latentDim or ropeDim`);
    }
    return model.layers * (model.latentDim + model.ropeDim) * model.kvBytesPerElement;
  }
  return 2 * model.layers * model.kvHeads * model.headDim * model.kvBytesPerElement;
}
