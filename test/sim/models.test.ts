// Model presets against KV bytes per token computed outside kvtier from the models' published
// configurations (test/fixtures/reference/kv-size.csv; sources in its README).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MODELS, getModel, kvBytesPerToken, type ModelSpec } from '../../sim/models.js';

interface KvSizeRow {
  model: string;
  layers: number;
  kvHeads: number;
  headDim: number;
  bytesPerElement: number;
  kvBytesPerToken: number;
}

// Splits one CSV line at the commas outside double quotes.
function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (const character of line) {
    if (character === '"') quoted = !quoted;
    else if (character === ',' && !quoted) {
      fields.push(field);
      field = '';
    } else field += character;
  }
  fields.push(field);
  return fields;
}

function readKvSizeCsv(): KvSizeRow[] {
  const path = fileURLToPath(new URL('../fixtures/reference/kv-size.csv', import.meta.url));
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  expect(splitCsvLine(header).slice(0, 6)).toEqual(['model', 'layers', 'kv_heads', 'head_dim', 'bytes_per_element', 'kv_bytes_per_token']);
  return lines.map((line) => {
    const fields = splitCsvLine(line);
    return {
      model: fields[0],
      layers: Number(fields[1]),
      kvHeads: Number(fields[2]),
      headDim: Number(fields[3]),
      bytesPerElement: Number(fields[4]),
      kvBytesPerToken: Number(fields[5]),
    };
  });
}

const rows = readKvSizeCsv();

describe('kvBytesPerToken against kv-size.csv', () => {
  it('CSV lists every preset but weight-format variants', () => {
    // A variant that differs only in its weights' data type shares its base model's KV size.
    const variants = MODELS.filter((model) => model.name.endsWith('-fp8'));
    expect(variants.map((model) => model.name)).toEqual(['llama3.1-70b-fp8']);
    for (const variant of variants) expect(kvBytesPerToken(variant)).toBe(kvBytesPerToken(getModel(variant.name.replace(/-fp8$/, ''))));
    const bases = MODELS.filter((model) => !variants.includes(model)).map((model) => model.name);
    expect(rows.map((row) => row.model).sort()).toEqual(bases.sort());
  });

  it.each(rows)('$model: $kvBytesPerToken bytes per token', (row) => {
    const model = getModel(row.model);
    expect(kvBytesPerToken(model)).toBe(row.kvBytesPerToken);
    expect(model.layers).toBe(row.layers);
    expect(model.kvBytesPerElement).toBe(row.bytesPerElement);
    if (model.attention === 'mla') {
      // The CSV writes the latent as one KV head of (latent + RoPE) elements.
      expect(model.kvHeads).toBe(1);
      expect((model.latentDim ?? 0) + (model.ropeDim ?? 0)).toBe(row.headDim);
    } else {
      expect(model.kvHeads).toBe(row.kvHeads);
      expect(model.headDim).toBe(row.headDim);
    }
  });
});

describe('model presets', () => {
  it('llama2-70b-mha is 2,621,440 bytes per token, about 2.6 MB', () => {
    expect(kvBytesPerToken(getModel('llama2-70b-mha'))).toBe(2_621_440);
  });

  it('real llama2-70b is 320 KiB per token, one eighth of the MHA figure', () => {
    expect(kvBytesPerToken(getModel('llama2-70b'))).toBe(320 * 1024);
  });

  it('head dimension is hidden size / attention heads for dense models', () => {
    for (const model of MODELS.filter((candidate) => candidate.attention !== 'mla')) {
      expect(model.headDim * model.attentionHeads, model.name).toBe(model.hiddenSize);
    }
  });

  it('grouped-query presets divide heads into whole groups', () => {
    for (const model of MODELS.filter((candidate) => candidate.attention === 'gqa')) {
      expect(model.attentionHeads % model.kvHeads, model.name).toBe(0);
      expect(model.kvHeads, model.name).toBeLessThan(model.attentionHeads);
    }
  });

  it('dense presets use every parameter per token', () => {
    for (const model of MODELS.filter((candidate) => candidate.name !== 'deepseek-v3')) {
      expect(model.activeParameters, model.name).toBe(model.parameters);
    }
  });

  it('deepseek-v3 activates 37B of 671B parameters', () => {
    const model = getModel('deepseek-v3');
    expect(model.parameters).toBe(671e9);
    expect(model.activeParameters).toBe(37e9);
  });

  // The parameter counts were computed from config.json. This recomputes the Llama and Mistral ones
  // from the shapes, with intermediate sizes and vocabularies from the same configs and untied embeddings.
  it.each([
    { name: 'llama2-70b', intermediate: 28_672, vocabulary: 32_000 },
    { name: 'llama3.1-8b', intermediate: 14_336, vocabulary: 128_256 },
    { name: 'llama3.1-70b', intermediate: 28_672, vocabulary: 128_256 },
    { name: 'mistral-7b', intermediate: 14_336, vocabulary: 32_000 },
  ])('$name parameter count follows from its config', ({ name, intermediate, vocabulary }) => {
    const model = getModel(name);
    const attention = 2 * model.hiddenSize * model.attentionHeads * model.headDim + 2 * model.hiddenSize * model.kvHeads * model.headDim;
    const mlp = 3 * model.hiddenSize * intermediate;
    const norms = 2 * model.hiddenSize;
    const total = model.layers * (attention + mlp + norms) + 2 * vocabulary * model.hiddenSize + model.hiddenSize;
    expect(model.parameters).toBe(total);
  });

  it('every preset names its source with a year', () => {
    for (const model of MODELS) expect(model.source, model.name).toMatch(/\b20\d\d\b/);
  });

  it('presets are frozen', () => {
    expect(Object.isFrozen(MODELS)).toBe(true);
    expect(Object.isFrozen(getModel('llama3.1-8b'))).toBe(true);
  });
});

describe('getModel', () => {
  it('unknown name lists the known names', () => {
    expect(() => getModel('llama-7b')).toThrow(/unknown model "llama-7b": expected one of llama2-70b-mha, llama2-70b, /);
  });

  it('unknown name is an input error', () => {
    try {
      getModel('llama-7b');
      expect.unreachable();
    } catch (error) {
      expect((error as { code?: string }).code).toBe('ERR_KVTIER_INPUT');
    }
  });
});

describe('kvBytesPerToken', () => {
  it('multi-head latent attention without latentDim is rejected', () => {
    const broken: ModelSpec = { ...getModel('deepseek-v3'), latentDim: undefined };
    expect(() => kvBytesPerToken(broken)).toThrow(/has no latentDim or ropeDim/);
  });

  it('FP8 KV halves the bytes', () => {
    const fp8: ModelSpec = { ...getModel('llama3.1-70b'), kvBytesPerElement: 1 };
    expect(kvBytesPerToken(fp8)).toBe(163_840);
  });
});
