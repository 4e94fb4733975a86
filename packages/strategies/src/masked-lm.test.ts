import { createHash } from 'node:crypto';
import { createOnnxBackend } from '@headstart/backend-onnx';
import {
  checkOptions,
  createRng,
  IGNORE_TOKEN,
  initializeWeights,
  makeTokenBatch,
  parameterShapes,
  validateSpec,
  type Batch,
  type EpochMetrics,
  type FitPlan,
  type FitResult,
  fitLoop,
  type Model,
  type TokenDataset,
  type TokenizerPreprocessing,
  type TrainingEvent,
} from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { withNewHead } from './head.js';
import { MLM_HEAD_LAYERS, maskedLmPlan, maskedLmSpec, pretrainMaskedLm, tokenEncoderOf } from './masked-lm.js';
import { pretrainFinetuneOptionsSchema, type PretrainFinetuneOptions } from './pretrain-finetune-options.js';
import { mergeWeights } from './weights.js';

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const WORDS = 24;
const VOCAB = SPECIALS.length + WORDS;
const TOKENS = 10;

/** A BERT-style tokenizer record over the specials and WORDS words (what a TokenDataset carries). */
function tokenizer(): TokenizerPreprocessing {
  const vocab = Object.fromEntries([...SPECIALS, ...Array.from({ length: WORDS }, (_, i) => `w${i}`)].map((t, id) => [t, id]));
  const json = JSON.stringify({
    added_tokens: SPECIALS.map((content, id) => ({ id, content, special: true })),
    model: { type: 'WordPiece', vocab },
  });
  const sha256 = createHash('sha256').update(json).digest('hex');
  return { kind: 'tokenizer', sha256, maxLength: TOKENS, padId: 0, vocabSize: VOCAB, textColumn: 'text', json };
}

/**
 * `size` sequences `[CLS] w_a w_{a+s} w_{a+2s} … [SEP]` then padding: a run of words counting up by
 * a step `s` of 1 (label 0) or 2 (label 1) from a random start, 4 to 8 words long. A masked word is
 * told by its neighbours: structure a masked-language model can learn.
 */
function corpus(size: number, seed: number): TokenDataset {
  const rng = createRng(seed);
  const inputIds = new Int32Array(size * TOKENS);
  const attentionMask = new Int32Array(size * TOKENS);
  const labels = new Int32Array(size);
  for (let r = 0; r < size; r++) {
    const [start, step, words] = [rng.int(WORDS), 1 + rng.int(2), 4 + rng.int(5)];
    labels[r] = step - 1;
    const row = [2, ...Array.from({ length: words }, (_, k) => SPECIALS.length + ((start + k * step) % WORDS)), 3];
    inputIds.set(row, r * TOKENS);
    attentionMask.fill(1, r * TOKENS, r * TOKENS + row.length);
  }
  return {
    kind: 'tokens',
    size,
    sequenceLength: TOKENS,
    inputIds,
    attentionMask,
    labels,
    labelMap: ['step 1', 'step 2'],
    tokenizer: tokenizer(),
    source: { file: 'counting.jsonl', format: 'jsonl-text', sha256: '0'.repeat(64) },
  };
}

/** A one-block encoder classifier: what `--model` gives pretrain-finetune for text. */
const CLASSIFIER = validateSpec({
  inputs: [
    { name: 'input_ids', shape: [TOKENS], dtype: 'int32' },
    { name: 'attention_mask', shape: [TOKENS], dtype: 'int32' },
  ],
  layers: [
    { type: 'embedding', name: 'tok', vocabSize: VOCAB, units: 16, paddingIndex: 0, inputs: ['input_ids'] },
    { type: 'positionEmbedding', name: 'pos' },
    { type: 'layerNorm', name: 'emb_ln' },
    { type: 'attention', name: 'attn', heads: 2, inputs: ['emb_ln', 'attention_mask'] },
    { type: 'add', name: 'sa_res', inputs: ['emb_ln', 'attn'] },
    { type: 'layerNorm', name: 'sa_ln' },
    { type: 'dense', name: 'lin1', units: 32, activation: 'gelu' },
    { type: 'dense', name: 'lin2', units: 16 },
    { type: 'add', name: 'ffn_res', inputs: ['sa_ln', 'lin2'] },
    { type: 'layerNorm', name: 'out_ln' },
    { type: 'sequencePool', name: 'pool', mode: 'mean', inputs: ['out_ln', 'attention_mask'] },
    { type: 'dense', name: 'head', units: 2, activation: 'softmax' },
  ],
});

const options = (set: Record<string, unknown>): PretrainFinetuneOptions =>
  pretrainFinetuneOptionsSchema.parse({ objective: 'mlm', ...set });

const asBatch = (t: ReturnType<typeof makeTokenBatch>): Batch => ({
  x: new Float32Array(0),
  size: t.size,
  inputs: { input_ids: t.inputIds, attention_mask: t.attentionMask },
  ...(t.labels ? { labels: t.labels } : {}),
});

/** Core's fit loop (what `ctx.fit` runs) with the run's seed and generator `seed`, no checkpoints. */
function fitWithCore(seed: number): (model: Model, plan: FitPlan) => Promise<FitResult> {
  return (model, plan) =>
    fitLoop(model, plan, { stage: 0, rng: createRng(seed), seed, emit: () => {}, signal: new AbortController().signal });
}

describe('pretrain-finetune objective=mlm', () => {
  test('objective must be autoencoder or mlm, said in one line', () => {
    expect(checkOptions(pretrainFinetuneOptionsSchema, { objective: 'bert' })).toEqual({
      ok: false,
      field: 'objective',
      problem: 'Invalid option: expected one of "autoencoder"|"mlm"',
    });
    expect(pretrainFinetuneOptionsSchema.parse({}).objective).toBe('autoencoder');
  });

  test('puts DistilBERT’s MLM head on the per-token part of the encoder, below its pooling', () => {
    const encoder = tokenEncoderOf(CLASSIFIER);
    expect(encoder.layers.at(-1)!.name).toBe('out_ln');
    const spec = maskedLmSpec(encoder);
    expect(spec.layers.slice(-3).map((l) => [l.name, l.type])).toEqual([
      ['mlm_transform', 'dense'],
      ['mlm_ln', 'layerNorm'],
      ['mlm_projector', 'dense'],
    ]);
    expect(parameterShapes(spec).find((p) => p.name === 'mlm_projector.kernel')!.shape).toEqual([16, VOCAB]);
    const plan = maskedLmPlan({ seed: 3 }, spec, corpus(8, 1), options({}));
    expect([plan.phase, plan.trainer.loss, plan.transform!.name]).toEqual(['pretrain', 'tokenCrossEntropy', 'mask tokens 15%']);
    expect(() => tokenEncoderOf(validateSpec({ inputShape: [4], layers: [{ type: 'dense', name: 'd', units: 2 }] }))).toThrow(
      'pretrain-finetune: objective mlm needs an encoder over token ids (an embedding, then layers giving one vector per token), but the layers below the pooling end in "d" giving [2]',
    );
  });

  test('pre-trains the encoder as a masked-language model on structured text (onnx), then fine-tunes a new head on the labels', async () => {
    const backend = createOnnxBackend();
    const events: TrainingEvent[] = [];
    const ctx = {
      seed: 7,
      rng: createRng(7),
      resume: undefined,
      createModel: (spec: Parameters<typeof backend.createModel>[0], weights?: Parameters<typeof backend.createModel>[1]) =>
        backend.createModel(spec, weights),
      emit: (event: TrainingEvent) => events.push(event),
    };
    const text = corpus(256, 1);
    const encoder = tokenEncoderOf(CLASSIFIER);
    const start = initializeWeights(encoder, createRng(5));
    let mlmHistory: EpochMetrics[] = [];
    const fit = fitWithCore(7);
    const { weights: pretrained, metrics } = await pretrainMaskedLm(
      {
        ...ctx,
        fit: async (model, plan) => {
          const result = await fit(model, plan);
          mlmHistory = result.history;
          return result;
        },
      },
      encoder,
      start,
      text,
      options({ pretrainEpochs: 30, pretrainLr: 0.01, batchSize: 32 }),
    );
    // Masked-language modelling has no classes: no accuracy is reported.
    expect(mlmHistory.every((m) => m.accuracy === undefined)).toBe(true);
    const losses = mlmHistory.map((m) => m.loss);
    expect(metrics).toEqual(mlmHistory.at(-1));
    // Chance is ln 29 ≈ 3.37; a masked word follows from its neighbours.
    expect(losses[0]!).toBeGreaterThan(2.5);
    expect(Math.max(...losses.slice(-3))).toBeLessThan(losses[0]! / 2);
    const log = events.flatMap((e) => (e.type === 'log' ? [e.message] : []));
    expect(log).toEqual([
      expect.stringMatching(
        /^pretrain-finetune: pretrain: masked-language model on 256 sequences \(mask tokens 15%\): masked-token loss [\d.]+ → [\d.]+; head \(mlm_transform, mlm_ln, mlm_projector\) discarded$/,
      ),
    ]);
    // The MLM head is dropped: the encoder's weights alone, changed by pre-training.
    expect([...pretrained.keys()].sort()).toEqual([...start.keys()].sort());
    expect(pretrained.get('tok.embeddings')!.data).not.toEqual(start.get('tok.embeddings')!.data);

    // Fine-tuning: a new classification head over the pre-trained encoder, trained on the labels.
    const { spec, headLayers } = withNewHead(CLASSIFIER, 2);
    const model = await backend.createModel(spec, mergeWeights(spec, pretrained, headLayers, createRng(9)));
    try {
      expect(parameterShapes(spec).some((p) => MLM_HEAD_LAYERS.some((l) => p.name.startsWith(`${l}.`)))).toBe(false);
      expect((await model.getWeights()).get('lin1.kernel')!.data).toEqual(pretrained.get('lin1.kernel')!.data);
      const trainable = parameterShapes(spec).map((p) => p.name);
      const tuned = await fitWithCore(8)(model, {
        phase: 'finetune',
        train: corpus(128, 2),
        epochs: 8,
        batchSize: 32,
        trainer: {
          trainable,
          groups: [{ name: 'all', params: trainable, lr: 0.01 }],
          optimizer: { type: 'adam' },
          loss: 'softmaxCrossEntropy',
        },
      });
      expect(tuned.history.at(-1)!.loss).toBeLessThan(tuned.history[0]!.loss / 2);
      const held = corpus(200, 3);
      const trainer = model.trainer({
        trainable,
        groups: [{ name: 'all', params: trainable, lr: 0 }],
        optimizer: { type: 'sgd' },
        loss: 'softmaxCrossEntropy',
      });
      const { outputs } = await trainer.evaluate(asBatch(makeTokenBatch(held, Uint32Array.from(held.labels!.keys()), 0, 200, 'labels')));
      trainer.dispose();
      const correct = held.labels!.filter((label, i) => (outputs[2 * i + 1]! > outputs[2 * i]! ? 1 : 0) === label).length;
      expect(correct / 200).toBeGreaterThan(0.9);
    } finally {
      model.dispose();
    }
    expect(IGNORE_TOKEN).toBe(-100);
  });
});
