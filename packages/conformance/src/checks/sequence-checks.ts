import type { Backend, EvalResult } from '@headstart/core';
import type { ConformanceCheck } from '../check.js';
import { ENCODER_SPEC, encoderBatch, MLM_SPEC, mlmBatch } from '../fixtures/encoder-specs.js';
import { sampleWeights } from '../fixtures/sample-data.js';
import { trainableNames, type TrainingScenario } from '../fixtures/training-scenarios.js';
import { compareScenario, type Expected } from './comparison-checks.js';
import { MODEL_SEED } from './run-scenario.js';
import { skipUnlessSequences } from './sequence-support.js';

const names = trainableNames(ENCODER_SPEC);
// The key bias shifts every score of a query alike, which softmax ignores: its gradient is exactly 0,
// and Adam would turn each backend's rounding noise around 0 into steps of ±lr.
const trained = names.filter((name) => name !== 'attn.kBias');

/** Two Adam steps of the encoder fixture with its dropout on, the second batch from another seed. */
export const ENCODER_SCENARIO: TrainingScenario = {
  description:
    'Adam on every parameter but the key bias (whose gradient is exactly 0) of a one-block encoder (token ids and a padding mask as named inputs, dropout on)',
  spec: ENCODER_SPEC,
  weightsSeed: 21,
  trainer: {
    trainable: trained,
    groups: [{ name: 'all', params: trained, lr: 0.01 }],
    optimizer: { type: 'adam' },
    loss: 'softmaxCrossEntropy',
  },
  batches: [encoderBatch(8, 61), encoderBatch(8, 62)],
  lrScales: [1, 1],
};

const mlmTrained = trainableNames(MLM_SPEC).filter((name) => name !== 'attn.kBias');

/** Two Adam steps of masked-language modelling: the encoder under a per-token vocabulary head, loss over masked positions only. */
export const MLM_SCENARIO: TrainingScenario = {
  description:
    'Adam on every parameter but the key bias of a one-block encoder under a masked-language-model head ([tokens, vocab] logits), tokenCrossEntropy over the masked positions only (dropout on)',
  spec: MLM_SPEC,
  weightsSeed: 23,
  trainer: {
    trainable: mlmTrained,
    groups: [{ name: 'all', params: mlmTrained, lr: 0.01 }],
    optimizer: { type: 'adam' },
    loss: 'tokenCrossEntropy',
  },
  batches: [mlmBatch(8, 63), mlmBatch(8, 64)],
  lrScales: [1, 1],
};

/**
 * The comparisons of a transformer encoder (embeddings, layer norm, attention with a padding mask,
 * GELU feed-forward, mean pooling over the mask) with `expected`: its outputs and loss through
 * `evaluate`, and two training steps. Skipped, with its refusal, on a backend without sequence models.
 */
export function sequenceComparisonChecks(expected: Expected): ConformanceCheck[] {
  return [
    {
      id: `${expected.prefix}.evaluate.encoder`,
      title: `Trainer.evaluate of a one-block encoder over padded token sequences gives the summed loss and outputs of ${expected.label}`,
      exercises: { specs: [ENCODER_SPEC] },
      async run(ctx) {
        const refused = await skipUnlessSequences(ctx.backend);
        if (refused) return refused;
        const actual = await evaluateEncoder(ctx.backend);
        const wanted = await evaluateEncoder(expected.pick(ctx));
        ctx.expect.close('summed loss of 6 sequences', actual.lossSum, wanted.lossSum);
        ctx.expect.close('outputs of 6 sequences', actual.outputs, wanted.outputs);
      },
    },
    {
      id: `${expected.prefix}.train.encoder`,
      title: `two training steps of a one-block encoder give the losses and parameters of ${expected.label}: ${ENCODER_SCENARIO.description}`,
      exercises: { specs: [ENCODER_SPEC], optimizers: ['adam'] },
      async run(ctx) {
        const refused = await skipUnlessSequences(ctx.backend);
        if (refused) return refused;
        await compareScenario(ctx, expected, ENCODER_SCENARIO);
      },
    },
    {
      id: `${expected.prefix}.evaluate.mlm`,
      title: `Trainer.evaluate of a masked-language model (per-token vocabulary logits, loss over masked positions only) gives the summed loss and per-token probabilities of ${expected.label}`,
      exercises: { specs: [MLM_SPEC] },
      async run(ctx) {
        const refused = await skipUnlessSequences(ctx.backend);
        if (refused) return refused;
        const actual = await evaluateMlm(ctx.backend);
        const wanted = await evaluateMlm(expected.pick(ctx));
        ctx.expect.close('summed masked-token loss of 6 sequences', actual.lossSum, wanted.lossSum);
        ctx.expect.close('per-token probabilities of 6 sequences', actual.outputs, wanted.outputs);
      },
    },
    {
      id: `${expected.prefix}.train.mlm`,
      title: `two training steps of masked-language modelling give the losses and parameters of ${expected.label}: ${MLM_SCENARIO.description}`,
      exercises: { specs: [MLM_SPEC], optimizers: ['adam'] },
      async run(ctx) {
        const refused = await skipUnlessSequences(ctx.backend);
        if (refused) return refused;
        await compareScenario(ctx, expected, MLM_SCENARIO);
      },
    },
  ];
}

async function evaluateMlm(backend: Backend): Promise<EvalResult> {
  const model = await backend.createModel(MLM_SPEC, sampleWeights(MLM_SPEC, 33), { seed: MODEL_SEED });
  const names = trainableNames(MLM_SPEC);
  const trainer = model.trainer({
    trainable: names,
    groups: [{ name: 'all', params: names, lr: 0.1 }],
    optimizer: { type: 'sgd' },
    loss: 'tokenCrossEntropy',
  });
  try {
    return await trainer.evaluate(mlmBatch(6, 43));
  } finally {
    trainer.dispose();
    model.dispose();
  }
}

async function evaluateEncoder(backend: Backend): Promise<EvalResult> {
  const model = await backend.createModel(ENCODER_SPEC, sampleWeights(ENCODER_SPEC, 31), { seed: MODEL_SEED });
  const trainer = model.trainer({
    trainable: names,
    groups: [{ name: 'all', params: names, lr: 0.1 }],
    optimizer: { type: 'sgd' },
    loss: 'softmaxCrossEntropy',
  });
  try {
    return await trainer.evaluate(encoderBatch(6, 41));
  } finally {
    trainer.dispose();
    model.dispose();
  }
}
