import {
  createRng,
  initializeWeights,
  parameterShapes,
  validateSpec,
  type Batch,
  type NamedTensors,
  type TrainerOptions,
} from '@headstart/core';
import { planTraining } from '@headstart/core/backend-kit';
import { describe, expect, it } from 'vitest';
import { createOnnxBackend } from '../base.js';
import { flatLayouts, MAX_FLAT_FLOATS } from '../compiler/flat-layout.js';
import { buildTrainGraph } from '../compiler/train-graph.js';

// 64 → 2048 → 2048 → 10: 4,349,962 parameters, more than one flat buffer holds (MAX_FLAT_FLOATS = 4,194,304).
const spec = validateSpec({
  inputShape: [64],
  layers: [
    { type: 'dense', name: 'fc1', units: 2048, activation: 'relu' },
    { type: 'dense', name: 'fc2', units: 2048, activation: 'relu' },
    { type: 'dense', name: 'head', units: 10, activation: 'softmax' },
  ],
});
const names = parameterShapes(spec).map((p) => p.name);

function batches(count: number): Batch[] {
  const rng = createRng(3);
  return Array.from({ length: count }, () => ({
    x: Float32Array.from({ length: 4 * 64 }, () => rng.normal()),
    labels: Int32Array.from({ length: 4 }, () => rng.int(10)),
    size: 4,
  }));
}

function expectSameTensors(a: NamedTensors, b: NamedTensors, what: string): void {
  expect([...a.keys()].sort(), what).toEqual([...b.keys()].sort());
  for (const [name, t] of a) {
    const other = b.get(name)!.data;
    const differs = t.data.findIndex((v, i) => !Object.is(v, other[i]));
    expect(differs, `${what}: ${name}[${differs}]`).toBe(-1);
  }
}

/** Weights and optimizer state after 2 single steps and a run of 2 (the multi-step graph). */
async function train(groups: TrainerOptions['groups']): Promise<{ weights: NamedTensors; state: NamedTensors }> {
  const backend = createOnnxBackend();
  const model = await backend.createModel(spec, initializeWeights(spec, createRng(1)), { seed: 1 });
  const trainer = model.trainer({ trainable: names, groups, optimizer: { type: 'adam' }, loss: 'softmaxCrossEntropy', seed: 1 });
  const [a, b, ...rest] = batches(4);
  await trainer.step(a!, 1);
  await trainer.step(b!, 0.5);
  await trainer.stepMany!(rest.slice(0, 2), [1, 1]);
  const result = { weights: await model.getWeights(), state: await trainer.getState() };
  trainer.dispose();
  model.dispose();
  return result;
}

describe('large groups in several flat buffers', () => {
  it('lays parameters end to end in parts of at most the limit, never splitting one', () => {
    const layouts = flatLayouts(
      2,
      [
        { name: 'a', shape: [3, 2] },
        { name: 'b', shape: [5] },
        { name: 'c', shape: [20] },
        { name: 'd', shape: [4] },
      ],
      12,
    );
    expect(layouts.map((l) => [l.id, l.size, l.entries.map((e) => `${e.name}@${e.offset}`)])).toEqual([
      ['2.0', 11, ['a@0', 'b@6']],
      ['2.1', 20, ['c@0']],
      ['2.2', 4, ['d@0']],
    ]);
    expect(flatLayouts(0, [{ name: 'a', shape: [3] }]).map((l) => l.id)).toEqual(['0']);
  });

  it('gives a group larger than one buffer several, each within the limit (onnxruntime-node copies outputs: big ones page-fault every step)', () => {
    const plan = planTraining(
      spec,
      { trainable: names, groups: [{ name: 'all', params: names, lr: 1e-3 }], optimizer: { type: 'adam' }, loss: 'softmaxCrossEntropy' },
      parameterShapes(spec),
    );
    const graph = buildTrainGraph({ spec, params: parameterShapes(spec), plan, optimizer: { type: 'adam' }, loss: 'softmaxCrossEntropy' });
    expect(graph.groups.length).toBeGreaterThan(1);
    for (const g of graph.groups) expect(g.layout.size).toBeLessThanOrEqual(MAX_FLAT_FLOATS);
    expect(graph.groups.flatMap((g) => g.layout.entries.map((e) => e.name))).toEqual(names);
    expect(new Set(graph.groups.map((g) => g.lr)).size).toBe(1);
  });

  it('trains in parts bit-identically to the same parameters in groups of one buffer each', async () => {
    const inParts = await train([{ name: 'all', params: names, lr: 1e-3 }]);
    const byLayer = await train(
      ['fc1', 'fc2', 'head'].map((layer) => ({ name: layer, params: names.filter((n) => n.startsWith(`${layer}.`)), lr: 1e-3 })),
    );
    expectSameTensors(inParts.weights, byLayer.weights, 'weights');
    expectSameTensors(inParts.state, byLayer.state, 'optimizer state');
  }, 60_000);
});
