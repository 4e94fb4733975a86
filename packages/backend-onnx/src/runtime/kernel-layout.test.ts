import { createRng, parameterShapes, validateSpec, type TrainerOptions } from '@headstart/core';
import { planTraining } from '@headstart/core/backend-kit';
import { describe, expect, it } from 'vitest';
import { createOnnxBackend } from '../base.js';
import { kernelFromOnnx, kernelToOnnx } from '../compiler/kernel-layout.js';
import { buildTrainGraph } from '../compiler/train-graph.js';
import { randomValues } from '../__fixtures__/gradient-check.js';

const backend = createOnnxBackend();
// A plain and a depthwise convolution, so both kernel-gradient paths are in the graph.
const spec = validateSpec({
  inputShape: [6, 6, 2],
  layers: [
    { type: 'conv2d', name: 'c1', filters: 4, kernelSize: 3, padding: 1, activation: 'relu' },
    { type: 'conv2d', name: 'dw', filters: 4, kernelSize: 3, padding: 1, groups: 4, useBias: false },
    { type: 'flatten', name: 'flat' },
    { type: 'dense', name: 'out', units: 3, activation: 'softmax' },
  ],
});
const names = parameterShapes(spec).map((p) => p.name);
const options: TrainerOptions = {
  trainable: names,
  groups: [{ name: 'all', params: names, lr: 0.01 }],
  optimizer: { type: 'adam' },
  loss: 'softmaxCrossEntropy',
};
const N = 4;
const batch = { x: Float32Array.from(randomValues(N * 72, createRng(2))), labels: Int32Array.from([0, 1, 2, 0]), size: N };

describe('conv kernels in ONNX layout inside the runtime', () => {
  it('converts a kernel to ONNX layout and back exactly', () => {
    // Canonical [kh=1, kw=2, in=2, out=3]: value = 100·kw + 10·in + out.
    const canonical = Float32Array.from([0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112]);
    const onnx = kernelToOnnx(canonical, [1, 2, 2, 3]);
    // ONNX [out=3, in=2, kh=1, kw=2].
    expect([...onnx]).toEqual([0, 100, 10, 110, 1, 101, 11, 111, 2, 102, 12, 112]);
    expect([...kernelFromOnnx(onnx, [1, 2, 2, 3])]).toEqual([...canonical]);
  });

  it('builds a train step that transposes no kernel of a plain conv (only activations change layout)', () => {
    // The grouped kernel gradient still ends in a (small, 5-D) transpose: only plain convolutions here.
    const plain = validateSpec({ ...spec, layers: spec.layers.filter((l) => l.name !== 'dw') });
    const params = parameterShapes(plain);
    const trained = {
      ...options,
      trainable: params.map((p) => p.name),
      groups: [{ name: 'all', params: params.map((p) => p.name), lr: 0.01 }],
    };
    const plan = planTraining(plain, trained);
    const graph = buildTrainGraph({ spec: plain, params, plan, optimizer: options.optimizer, loss: options.loss });
    const nodes = graph.model.graph?.node ?? [];
    const perms = nodes
      .filter((n) => n.opType === 'Transpose')
      .map((n) => JSON.stringify(n.attribute!.find((a) => a.name === 'perm')!.ints));
    const activationLayouts = ['[0,3,1,2]', '[0,2,3,1]', '[1,0,2,3]', '[1,0,3,2]'];
    expect(perms.filter((p) => !activationLayouts.includes(p))).toEqual([]);
  });

  it('exchanges weights and optimizer slots in canonical layout', async () => {
    const model = await backend.createModel(spec, undefined, { seed: 3 });
    const before = await model.getWeights();
    const trainer = model.trainer(options);
    await trainer.step(batch);
    const [after, state] = [await model.getWeights(), await trainer.getState()];
    for (const name of ['c1.kernel', 'dw.kernel']) {
      const m = state.get(`optim.m.${name}`)!;
      expect(m.shape).toEqual(before.get(name)!.shape);
      // Adam's first step moves each weight by about lr against the sign of its gradient, and m = 0.1·g:
      // the two agree element by element only when both are in the same layout.
      const moved = before.get(name)!.data.map((w, i) => w - after.get(name)!.data[i]!);
      const agree = [...m.data].every((g, i) => g === 0 || Math.sign(g) === Math.sign(moved[i]!));
      expect(agree, name).toBe(true);
      expect(m.data.some((g) => g !== 0)).toBe(true);
    }
    // Written back as they were read: a second trainer continues exactly.
    const resumed = model.trainer(options);
    await resumed.setState(state);
    expect(await resumed.getState()).toEqual(state);
    model.dispose();
  });
});
