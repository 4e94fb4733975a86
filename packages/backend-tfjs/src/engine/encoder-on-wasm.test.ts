import {
  createRng,
  initializeWeights,
  validateSpec,
  type Batch,
  type LayerInput,
  type LossKind,
  type Model,
  type ModelSpec,
  type OptimizerConfig,
} from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { createTfjsModel } from '../model.js';
import { engineFor, startEngines } from './engine.js';
import { missingKernels, trainingKernels } from './training-kernels.js';

beforeAll(async () => {
  await startEngines(() => {});
});

const [VOCAB, TOKENS] = [20, 6];
const INPUTS = [
  { name: 'input_ids', shape: [TOKENS], dtype: 'int32' as const },
  { name: 'attention_mask', shape: [TOKENS], dtype: 'int32' as const },
];

/** DistilBERT's post-norm block on `x`, with the padding mask or without. */
function block(prefix: string, x: string, masked: boolean): LayerInput[] {
  return [
    { type: 'attention', name: `${prefix}attn`, heads: 2, inputs: masked ? [x, 'attention_mask'] : [x] },
    { type: 'add', name: `${prefix}sa_res`, inputs: [`${prefix}attn`, x] },
    { type: 'layerNorm', name: `${prefix}sa_ln`, epsilon: 1e-12 },
    { type: 'dense', name: `${prefix}lin1`, units: 16, activation: 'gelu' },
    { type: 'dense', name: `${prefix}lin2`, units: 8 },
    { type: 'add', name: `${prefix}ffn_res`, inputs: [`${prefix}lin2`, `${prefix}sa_ln`] },
    { type: 'layerNorm', name: `${prefix}out_ln`, epsilon: 1e-12 },
  ];
}

/** Every encoder layer type: two blocks with the padding mask, padding id 0, masked mean pooling (the bench's encoder, small). */
const MASKED: LayerInput[] = [
  { type: 'embedding', name: 'tok', vocabSize: VOCAB, units: 8, paddingIndex: 0, inputs: ['input_ids'] },
  { type: 'positionEmbedding', name: 'pos', maxLength: 10 },
  { type: 'layerNorm', name: 'emb_ln', epsilon: 1e-12 },
  ...block('b0_', 'emb_ln', true),
  ...block('b1_', 'b0_out_ln', true),
  { type: 'sequencePool', name: 'pool', mode: 'mean', inputs: ['b1_out_ln', 'attention_mask'] },
  { type: 'dense', name: 'head', units: 3, activation: 'softmax' },
];
/** The other variants: no padding id, no mask, dropout, the first token pooled. */
const UNMASKED: LayerInput[] = [
  { type: 'embedding', name: 'tok', vocabSize: VOCAB, units: 8, inputs: ['input_ids'] },
  { type: 'positionEmbedding', name: 'pos' },
  { type: 'dropout', name: 'drop', rate: 0.1 },
  ...block('b0_', 'drop', false),
  { type: 'sequencePool', name: 'pool', mode: 'first' },
  { type: 'dense', name: 'head', units: 3, activation: 'softmax' },
];
/** Masked-language modelling: DistilBertForMaskedLM's head on the tokens (tests/fixtures/torch/tiny_mlm.py). */
const MLM: LayerInput[] = [
  ...MASKED.slice(0, 3),
  ...block('b0_', 'emb_ln', true),
  { type: 'dense', name: 'vocab_transform', units: 8, activation: 'gelu' },
  { type: 'layerNorm', name: 'vocab_ln', epsilon: 1e-12 },
  { type: 'dense', name: 'vocab_projector', units: VOCAB, activation: 'softmax' },
];

const SPECS = [
  ['masked', MASKED, 'softmaxCrossEntropy'],
  ['unmasked', UNMASKED, 'softmaxCrossEntropy'],
  ['masked-language', MLM, 'tokenCrossEntropy'],
] as const;

/** The spec of `layers`, with the attention mask as an input only when a layer takes it. */
function specOf(layers: readonly LayerInput[]): ModelSpec {
  const masked = layers.some((l) => l.inputs?.includes('attention_mask'));
  return validateSpec({ inputs: masked ? INPUTS : INPUTS.slice(0, 1), layers: [...layers] });
}

/**
 * `size` sequences padded with id 0 to seeded lengths 1..TOKENS, the mask 1 then 0 (when `spec` takes it); labels,
 * and token labels (−100: not predicted).
 */
function tokenBatch(spec: ModelSpec, size: number, seed: number): Batch {
  const rng = createRng(seed);
  const ids = new Int32Array(size * TOKENS);
  const mask = new Int32Array(size * TOKENS);
  const tokenLabels = new Int32Array(size * TOKENS).fill(-100);
  for (let s = 0; s < size; s++) {
    const length = 1 + rng.int(TOKENS);
    for (let t = 0; t < length; t++) {
      const i = s * TOKENS + t;
      ids[i] = 1 + rng.int(VOCAB - 1);
      mask[i] = 1;
      if (t % 2 === 0) tokenLabels[i] = rng.int(VOCAB);
    }
  }
  const labels = Int32Array.from({ length: size }, (_, i) => i % 3);
  const inputs = spec.inputs!.length === 2 ? { input_ids: ids, attention_mask: mask } : { input_ids: ids };
  return { x: new Float32Array(0), size, inputs, labels, tokenLabels };
}

/**
 * A trainer of every parameter, or (`exact`) of all but the attention's key biases: a key bias shifts all of a query's
 * scores alike, so its gradient is 0 up to rounding, which Adam scales to ±lr differently on each engine.
 */
function trainerFor(model: Model, optimizer: OptimizerConfig, loss: LossKind, { weightDecay = 0.01, exact = false } = {}) {
  const names = model
    .parameters()
    .map((p) => p.name)
    .filter((name) => !(exact && name.endsWith('.kBias')));
  return model.trainer({
    trainable: names,
    groups: [{ name: 'all', params: names, lr: 0.05, weightDecay }],
    optimizer,
    loss,
    seed: 4,
  });
}

describe('transformer encoders on the wasm engine', () => {
  test.each(SPECS)('the table covers every kernel a %s encoder runs while training on cpu (tf.profile)', async (_, layers, loss) => {
    const spec = specOf(layers);
    const model = createTfjsModel(spec, undefined, { engine: 'cpu', seed: 1 });
    const batch = tokenBatch(spec, 4, 3);
    const ran = new Set<string>();
    for (const optimizer of [{ type: 'sgd', momentum: 0.9 }, { type: 'adam' }, { type: 'adamw' }] as const) {
      const trainer = trainerFor(model, optimizer, loss);
      const profile = await tf.profile(async () => {
        await trainer.step(batch);
        await trainer.evaluate(batch);
        await model.predictInputs!(batch.inputs!, batch.size);
      });
      profile.kernelNames.forEach((k) => ran.add(k));
      trainer.dispose();
    }
    model.dispose();
    // tf.profile also lists composite ops by name; only registered kernels count.
    const kernels = [...ran].filter((k) => tf.getKernel(k, 'cpu'));
    expect(kernels).toContain('UnsortedSegmentSum');
    expect(kernels.filter((k) => !trainingKernels(spec).has(k))).toEqual([]);
  });

  test('with the embedding gradient headstart registers, the wasm engine has every kernel an encoder needs, and encoders go to wasm', async () => {
    for (const [, layers] of SPECS) expect(missingKernels(specOf(layers), 'wasm')).toEqual([]);
    const set = await startEngines();
    expect(engineFor(set, specOf(MASKED))).toEqual({
      engine: 'wasm',
      reason: 'the wasm engine has every kernel that training this model needs',
    });
    // As tfjs-backend-wasm ships (without ours), an encoder goes to cpu.
    const ours = tf.getKernel('UnsortedSegmentSum', 'wasm')!;
    tf.unregisterKernel('UnsortedSegmentSum', 'wasm');
    try {
      expect(engineFor(set, specOf(MASKED))).toEqual({
        engine: 'cpu',
        reason: 'the wasm engine lacks UnsortedSegmentSum (layer "tok"), which training this model needs',
      });
    } finally {
      tf.registerKernel(ours);
    }
  });

  test.each(SPECS)('a %s encoder trains on wasm as on cpu: losses and weights within 1e-5 after 5 Adam steps', async (_, layers, loss) => {
    const spec = specOf(layers);
    const weights = initializeWeights(spec, createRng(9));
    const batch = tokenBatch(spec, 8, 5);
    const run = async (engine: 'wasm' | 'cpu') => {
      const model = createTfjsModel(spec, weights, { engine, seed: 1 });
      // No weight decay: it would move the padding id's row, which nothing else does (checked below).
      const trainer = trainerFor(model, { type: 'adam' }, loss, { weightDecay: 0, exact: true });
      const losses: number[] = [];
      for (let i = 0; i < 5; i++) losses.push((await trainer.step(batch)).loss);
      const result = { losses, weights: await model.getWeights(), engine: model.engine };
      trainer.dispose();
      model.dispose();
      return result;
    };
    const [wasm, cpu] = [await run('wasm'), await run('cpu')];
    expect([wasm.engine, cpu.engine]).toEqual(['tfjs/wasm', 'tfjs/cpu']);
    expect(wasm.losses[4]).toBeLessThan(wasm.losses[0]!);
    wasm.losses.forEach((value, i) => expect(Math.abs(value - cpu.losses[i]!)).toBeLessThan(1e-5));
    for (const [name, t] of cpu.weights) {
      const worst = t.data.reduce((max, v, i) => Math.max(max, Math.abs(v - wasm.weights.get(name)!.data[i]!)), 0);
      expect(worst, name).toBeLessThan(1e-5);
    }
    // The padding id's row is never read, so never trained: Adam leaves it where it started, on both engines.
    if (layers === MASKED)
      expect(Array.from(wasm.weights.get('tok.embeddings')!.data.slice(0, 8))).toEqual(
        Array.from(weights.get('tok.embeddings')!.data.slice(0, 8)),
      );
  });
});
