import { createReferenceBackend } from '@headstart/conformance';
import {
  createRng,
  parameterShapes,
  validateSpec,
  type Backend,
  type Batch,
  type ModelSpec,
  type NamedTensors,
  type TrainerOptions,
} from '@headstart/core';
import { expect, test } from 'vitest';
import { createPlainJsBackend } from './base.js';

// Layer settings the conformance suite's fixed models do not reach, against its float64 reference
// (gradients by finite differences): a softmax in the middle, conv without bias and with unequal
// strides, strided `valid` average pooling over several channels, batch norm on images.
const spec: ModelSpec = validateSpec({
  inputShape: [7, 6, 2],
  layers: [
    { type: 'conv2d', name: 'conv', filters: 3, kernelSize: [2, 3], strides: [2, 1], padding: 'valid', useBias: false },
    { type: 'batchNorm', name: 'bn', momentum: 0.8 },
    { type: 'activation', name: 'mix', activation: 'softmax' },
    { type: 'avgPool2d', name: 'pool', poolSize: 2, strides: [1, 2] },
    { type: 'flatten', name: 'flat' },
    { type: 'dense', name: 'out', units: 2, activation: 'tanh' },
  ],
});

const rng = createRng(5);
const batches: Batch[] = [1, 2].map(() => ({
  x: Float32Array.from({ length: 4 * 7 * 6 * 2 }, () => rng.normal()),
  size: 4,
  targets: Float32Array.from({ length: 4 * 2 }, () => rng.next() - 0.5),
}));
const trainable = parameterShapes(spec)
  .filter((p) => p.role !== 'statistic')
  .map((p) => p.name);
const options: TrainerOptions = {
  trainable,
  groups: [{ name: 'all', params: trainable, lr: 0.05, weightDecay: 0.01 }],
  optimizer: { type: 'sgd', momentum: 0.9, nesterov: true },
  loss: 'mse',
};

async function twoSteps(backend: Backend): Promise<{ losses: number[]; weights: NamedTensors }> {
  const model = await backend.createModel(spec, undefined, { seed: 9 });
  const trainer = model.trainer(options);
  const losses = [];
  for (const batch of batches) losses.push((await trainer.step(batch)).loss);
  return { losses, weights: await model.getWeights() };
}

test('two SGD steps through a mid-network softmax, strided conv, strided average pooling and image batch norm match the float64 reference', async () => {
  const [mine, reference] = [await twoSteps(createPlainJsBackend()), await twoSteps(createReferenceBackend())];
  mine.losses.forEach((loss, i) => expect(loss).toBeCloseTo(reference.losses[i]!, 5));
  for (const [name, tensor] of reference.weights) {
    const largest = Math.max(...tensor.data.map((v, i) => Math.abs(v - mine.weights.get(name)!.data[i]!)));
    expect(largest, name).toBeLessThan(1e-5);
  }
  // They did train: the weights moved from the fresh ones.
  const fresh = await (await createPlainJsBackend().createModel(spec, undefined, { seed: 9 })).getWeights();
  expect(mine.weights.get('conv.kernel')!.data).not.toEqual(fresh.get('conv.kernel')!.data);
});
