import { readFileSync } from 'node:fs';
import { validateSpec, type Batch, type LossOptions, type NamedTensors } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { createReferenceBackend } from './reference-backend.js';

/** PyTorch's float64 losses and gradients for the cases below (`__fixtures__/torch-losses.py` wrote them). */
const TORCH: {
  x: number[];
  labels: number[];
  soft: number[];
  teacher: number[];
  classWeights: number[];
  weights: Record<string, number[]>;
  cases: Record<string, { loss: number; gradients: Record<string, number[]> }>;
} = JSON.parse(readFileSync(new URL('./__fixtures__/torch-losses.json', import.meta.url), 'utf8'));

const SPEC = validateSpec({
  inputShape: [4],
  layers: [
    { type: 'dense', name: 'hidden', units: 5, activation: 'relu' },
    { type: 'dense', name: 'out', units: 3, activation: 'softmax' },
  ],
});

const SHAPES: Record<string, number[]> = { 'hidden.kernel': [4, 5], 'hidden.bias': [5], 'out.kernel': [5, 3], 'out.bias': [3] };

const hard: Batch = { x: Float32Array.from(TORCH.x), size: 5, labels: Int32Array.from(TORCH.labels) };
const soft: Batch = { x: hard.x, size: 5, targets: Float32Array.from(TORCH.soft) };
const withTeacher: Batch = { ...hard, teacher: Float32Array.from(TORCH.teacher) };

const CASES: Record<string, { batch: Batch; options: LossOptions }> = {
  labelSmoothing: { batch: hard, options: { labelSmoothing: 0.1 } },
  classWeights: { batch: hard, options: { classWeights: TORCH.classWeights } },
  smoothingAndWeights: { batch: hard, options: { classWeights: TORCH.classWeights, labelSmoothing: 0.2 } },
  softTargets: { batch: soft, options: {} },
  softTargetsSmoothingAndWeights: { batch: soft, options: { classWeights: TORCH.classWeights, labelSmoothing: 0.2 } },
  distillation: { batch: withTeacher, options: { distillation: { temperature: 2, alpha: 0.7 } } },
  distillationSmoothed: { batch: withTeacher, options: { distillation: { temperature: 3, alpha: 0.5 }, labelSmoothing: 0.1 } },
};

/** The loss of one SGD step with lr 1 and the gradients it applied (weights before minus after). */
async function stepOnReference(batch: Batch, lossOptions: LossOptions): Promise<{ loss: number; gradients: Map<string, number[]> }> {
  const weights: NamedTensors = new Map(
    Object.entries(TORCH.weights).map(([name, data]) => [name, { shape: SHAPES[name]!, data: Float32Array.from(data) }]),
  );
  const model = await createReferenceBackend().createModel(SPEC, weights);
  const names = [...weights.keys()];
  const trainer = model.trainer({
    trainable: names,
    groups: [{ name: 'all', params: names, lr: 1 }],
    optimizer: { type: 'sgd' },
    loss: 'softmaxCrossEntropy',
    lossOptions,
  });
  const { loss } = await trainer.step(batch);
  const after = await model.getWeights();
  const gradients = new Map(names.map((name) => [name, [...weights.get(name)!.data].map((w, i) => w - after.get(name)!.data[i]!)]));
  return { loss, gradients };
}

describe("the float64 reference's loss options match PyTorch's CrossEntropyLoss and Hinton's distillation loss", () => {
  test.each(Object.keys(TORCH.cases))('%s: loss and gradients', async (name) => {
    const { batch, options } = CASES[name]!;
    const wanted = TORCH.cases[name]!;
    const { loss, gradients } = await stepOnReference(batch, options);
    expect(loss).toBeCloseTo(wanted.loss, 9);
    for (const [param, values] of Object.entries(wanted.gradients)) {
      gradients.get(param)!.forEach((g, i) => expect(Math.abs(g - values[i]!), `${param}[${i}]`).toBeLessThan(2e-6));
    }
  });
});
