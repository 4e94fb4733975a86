// What a fit plan's teacher costs (issue 16): core's fit() of a 64-16-10 student on the digits (1,347 training samples,
// batch 32, Adam, 20 epochs) on onnx, four ways, interleaved round by round so machine noise hits each alike:
//   none         the cross-entropy alone, no teacher
//   precomputed  distillation; the batches are the training set's rows, so the teacher scores the set once
//   perBatch     distillation with an identity batch transform, so the teacher scores every batch as transformed
//   identity     the identity transform alone (what the transform itself costs)
// for a teacher of the default MLP's size (64-128-64-10) and a big one (64-1024-1024-10). Prints the median ms an epoch
// over 5 rounds. Usage: node bench/distillation-teacher.mjs   (after `npm run build`)
import { join } from 'node:path';
import { createOnnxBackend } from '@headstart/backend-onnx';
import { createRng, fit, initializeWeights, modelTeacher, validateSpec } from '@headstart/core';
import { applyPreprocessing, loadDataset, registerLoaders, stratifiedSplit } from '@headstart/data';

const ROUNDS = 5;
const EPOCHS = 20;

function mlp(units) {
  return validateSpec({
    inputShape: [64],
    layers: [
      ...units.map((n, i) => ({ type: 'dense', name: `d${i + 1}`, units: n, activation: 'relu' })),
      { type: 'dense', name: 'head', units: 10, activation: 'softmax' },
    ],
  });
}

registerLoaders();
const digits = join(import.meta.dirname, '..', 'data', 'digits', 'digits.csv');
const { train } = stratifiedSplit(applyPreprocessing({ kind: 'scale', factor: 16 }, await loadDataset(digits)), 0.25, createRng(5));
const backend = createOnnxBackend();
const student = mlp([16]);
const names = (await backend.createModel(student, initializeWeights(student, createRng(2)))).parameters().map((p) => p.name);
const base = {
  phase: 'student',
  train,
  epochs: EPOCHS,
  batchSize: 32,
  trainer: {
    trainable: names,
    groups: [{ name: 'all', params: names, lr: 1e-3 }],
    optimizer: { type: 'adam' },
    loss: 'softmaxCrossEntropy',
  },
};
const identity = { name: 'identity', apply: (batch) => batch };

for (const [label, units] of [
  ['teacher 64-128-64-10', [128, 64]],
  ['teacher 64-1024-1024-10', [1024, 1024]],
]) {
  const spec = mlp(units);
  const teacher = modelTeacher(await backend.createModel(spec, initializeWeights(spec, createRng(1))), label);
  const distil = { ...base, trainer: { ...base.trainer, lossOptions: { distillation: { temperature: 4, alpha: 0.7 } } }, teacher };
  const cases = {
    none: base,
    precomputed: distil,
    perBatch: { ...distil, transform: identity },
    identity: { ...base, transform: identity },
  };
  const times = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, plan] of Object.entries(cases)) {
      const model = await backend.createModel(student, initializeWeights(student, createRng(2)));
      const started = performance.now();
      await fit(model, plan, { stage: 0, rng: createRng(1), seed: 1, emit: () => undefined, signal: new AbortController().signal });
      times[name].push((performance.now() - started) / EPOCHS);
      model.dispose();
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  console.log(
    `${label}: ms an epoch (median of ${ROUNDS}) ${Object.entries(times)
      .map(([name, t]) => `${name} ${median(t).toFixed(1)}`)
      .join(', ')}`,
  );
}
