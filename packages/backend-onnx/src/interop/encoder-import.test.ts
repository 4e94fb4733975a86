import { nodeInputs, type Batch, type ModelSpec, type NamedTensors } from '@headstart/core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createOnnxBackend } from '../base.js';
import { requireRuntime } from '../runtime/runtime.js';

// tests/fixtures/torch/tiny_encoders.py: DistilBERT- and BERT-style classifiers exported by torch.onnx.export.
const ENCODERS = join(import.meta.dirname, '..', '..', '..', '..', 'tests', 'fixtures', 'torch', 'encoders');
const FILES = [
  ['tiny-distilbert', 'opset14'],
  ['tiny-distilbert', 'opset17'],
  ['tiny-bert', 'opset14'],
  ['tiny-bert', 'opset17'],
  ['tiny-bert-mean', 'opset17'],
  ['tiny-bert-filled', 'opset14'],
] as const;

interface Expected {
  batches: { input_ids: number[]; attention_mask: number[]; shape: [number, number] }[];
  models: Record<string, { logits: number[][] }>;
}
const expected = JSON.parse(readFileSync(join(ENCODERS, 'expected.json'), 'utf8')) as Expected;

const backend = createOnnxBackend();
const sessions: { release(): Promise<void> }[] = [];
afterAll(async () => Promise.all(sessions.map((s) => s.release())));

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

function batchOf({ input_ids, attention_mask, shape }: Expected['batches'][number]): Batch {
  return {
    x: new Float32Array(0),
    size: shape[0],
    inputs: { input_ids: Int32Array.from(input_ids), attention_mask: Int32Array.from(attention_mask) },
    targets: new Float32Array(shape[0] * 3),
  };
}

/** onnxruntime's logits for the original file, fed int64 as PyTorch exported it. */
async function originalLogits(file: string, b: Expected['batches'][number]): Promise<Float32Array> {
  const ort = await requireRuntime();
  const session = await ort.InferenceSession.create(file);
  sessions.push(session);
  const int64 = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), b.shape);
  const out = await session.run({ input_ids: int64(b.input_ids), attention_mask: int64(b.attention_mask) });
  return out.logits!.data as Float32Array;
}

/** The imported model's outputs for each batch (a trainer's evaluate, with mse on the logits: the forward pass that reads named inputs). */
async function importedLogits(spec: ModelSpec, weights: NamedTensors): Promise<Float32Array[]> {
  const live = await backend.createModel(spec, weights);
  const trainer = live.trainer({ trainable: [], groups: [], optimizer: { type: 'adam' }, loss: 'mse' });
  try {
    const outputs: Float32Array[] = [];
    for (const b of expected.batches) outputs.push((await trainer.evaluate(batchOf(b))).outputs);
    return outputs;
  } finally {
    trainer.dispose();
    live.dispose();
  }
}

/** `type name <- inputs`, one per layer. */
function outline(spec: ModelSpec): string[] {
  return spec.layers.map((l, i) => `${l.type} ${l.name} <- ${nodeInputs(spec, i).join(',')}`);
}

describe.each(FILES)('import of %s.%s.onnx', (model, variant) => {
  const file = join(ENCODERS, `${model}.${variant}.onnx`);

  it('maps every node to encoder layers (no opaque block) that predict like onnxruntime and PyTorch, padding included (≤ 1e-4)', async () => {
    const { spec, weights } = await backend.importModel!(file);
    expect(spec.layers.filter((l) => l.type === 'onnx')).toEqual([]);
    expect(spec.inputs).toEqual([
      { name: 'input_ids', shape: [8], dtype: 'int32' },
      { name: 'attention_mask', shape: [8], dtype: 'int32' },
    ]);
    expect(new Set(spec.layers.map((l) => l.type))).toEqual(
      new Set(['embedding', 'positionEmbedding', 'layerNorm', 'attention', 'add', 'dense', 'sequencePool']),
    );
    const predicted = await importedLogits(spec, weights);
    for (const [i, b] of expected.batches.entries()) {
      expect(maxDifference(predicted[i]!, await originalLogits(file, b))).toBeLessThan(1e-4);
      expect(maxDifference(predicted[i]!, expected.models[model]!.logits[i]!)).toBeLessThan(1e-4);
    }
  });
});

describe('the imported encoders', () => {
  it('DistilBERT (opset 14, LayerNorm decomposed): one layer per module, GELU folded into lin1, the mask read by each attention', async () => {
    const { spec } = await backend.importModel!(join(ENCODERS, 'tiny-distilbert.opset14.onnx'));
    const block = (i: number, before: string) => [
      `attention layer_${i}_attention <- ${before},attention_mask`,
      `add layer_${i}_add <- layer_${i}_attention,${before}`,
      `layerNorm layer_${i}_sa_layer_norm <- layer_${i}_add`,
      `dense layer_${i}_lin1 <- layer_${i}_sa_layer_norm`,
      `dense layer_${i}_lin2 <- layer_${i}_lin1`,
      `add layer_${i}_add_1 <- layer_${i}_lin2,layer_${i}_sa_layer_norm`,
      `layerNorm layer_${i}_output_layer_norm <- layer_${i}_add_1`,
    ];
    expect(outline(spec)).toEqual([
      'embedding word_embeddings <- input_ids',
      'positionEmbedding position_embeddings <- word_embeddings',
      'layerNorm LayerNorm <- position_embeddings',
      ...block(0, 'LayerNorm'),
      ...block(1, 'layer_0_output_layer_norm'),
      'sequencePool gather <- layer_1_output_layer_norm',
      'dense pre_classifier <- gather',
      'dense classifier <- pre_classifier',
    ]);
    const layer = (name: string) => spec.layers.find((l) => l.name === name);
    expect(layer('layer_0_lin1')).toMatchObject({ activation: 'gelu', units: 16 });
    expect(layer('layer_0_attention')).toMatchObject({ heads: 2 });
    expect(layer('LayerNorm')).toMatchObject({ epsilon: 1e-12 });
    expect(layer('pre_classifier')).toMatchObject({ activation: 'relu' });
  });

  it('BERT: the token type row folded into the position table, the pooler a tanh dense on the first token', async () => {
    const { spec, weights } = await backend.importModel!(join(ENCODERS, 'tiny-bert.opset17.onnx'));
    expect(spec.layers.find((l) => l.name === 'pooler')).toMatchObject({ type: 'dense', activation: 'tanh' });
    expect(spec.layers.find((l) => l.name === 'gather')).toMatchObject({ type: 'sequencePool', mode: 'first' });
    expect(weights.get('position_embeddings.embeddings')!.shape).toEqual([16, 8]);
  });

  it('mean pooling: a sequencePool mean reading the mask', async () => {
    const { spec } = await backend.importModel!(join(ENCODERS, 'tiny-bert-mean.opset17.onnx'));
    expect(outline(spec).slice(-2)).toEqual(['sequencePool div <- layer_1_output_norm,attention_mask', 'dense classifier <- div']);
  });

  it('refuses a causal (decoder-style) mask in one line naming the node and the op that makes it', async () => {
    const file = join(ENCODERS, 'tiny-distilbert-causal.opset17.onnx');
    const error = await backend.importModel!(file).catch((e: unknown) => e as Error);
    expect(error).toMatchObject({ code: 'NOT_SUPPORTED' });
    expect((error as Error).message).toBe(
      `${file}: node "/layer.0/attention/Add" (op Add) cannot be mapped to a headstart layer: it adds to the attention scores a value that is not a padding mask: "/layer.0/attention/Trilu_output_0" comes from node "/layer.0/attention/Trilu" (op Trilu), not from a padding mask input (a causal or other mask has no headstart layer)`,
    );
  });

  it('trains one step as a classifier on token batches (trainer.step with batch.inputs)', async () => {
    const imported = await backend.importModel!(join(ENCODERS, 'tiny-distilbert.opset17.onnx'));
    const weights = imported.weights;
    // A classifier's loss reads the logits before a final softmax: the head gets one, as training a classifier does.
    const layers = imported.spec.layers.map((l, i, all) => (i === all.length - 1 ? { ...l, activation: 'softmax' as const } : l));
    const live = await backend.createModel({ ...imported.spec, layers }, weights);
    const names = [...weights.keys()];
    const trainer = live.trainer({
      trainable: names,
      groups: [{ name: 'all', params: names, lr: 0.01 }],
      optimizer: { type: 'adam' },
      loss: 'softmaxCrossEntropy',
    });
    try {
      const batch = { ...batchOf(expected.batches[0]!), targets: undefined, labels: Int32Array.from([0, 1, 2, 1]) };
      const before = await trainer.evaluate(batch);
      const step = await trainer.step(batch, 1);
      expect(Math.abs(step.loss - before.lossSum / batch.size)).toBeLessThan(1e-4);
      const after = await trainer.evaluate(batch);
      expect(after.lossSum).toBeLessThan(before.lossSum);
      const moved = await live.getWeights();
      expect(maxDifference(moved.get('layer_0_attention.qKernel')!.data, weights.get('layer_0_attention.qKernel')!.data)).toBeGreaterThan(
        1e-3,
      );
    } finally {
      trainer.dispose();
      live.dispose();
    }
  });
});
