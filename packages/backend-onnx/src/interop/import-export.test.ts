import { createRng, validateSpec, type NamedTensors } from '@headstart/core';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOnnxBackend } from '../base.js';
import { pytorchStyleCnn } from '../__fixtures__/pytorch-style-cnn.js';
import { encodeModel } from '../onnx/onnx-proto.js';
import { requireRuntime } from '../runtime/runtime.js';

const backend = createOnnxBackend();
const dir = mkdtempSync(join(tmpdir(), 'headstart-onnx-'));

function random(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

/** NHWC → NCHW for `n` images of `h × w × c`. */
function toNchw(x: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let s = 0; s < n; s++)
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++)
        for (let ci = 0; ci < c; ci++) {
          out[((s * c + ci) * h + y) * w + xx] = x[((s * h + y) * w + xx) * c + ci]!;
        }
  return out;
}

function expectNear(a: Float32Array, b: Float32Array, tolerance: number): void {
  expect(a.length).toBe(b.length);
  const worst = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
  expect(worst).toBeLessThan(tolerance);
}

describe('export', () => {
  it('writes an inference model onnxruntime loads, with outputs matching predict(), and imports back exactly', async () => {
    const spec = validateSpec({
      inputShape: [6, 6, 2],
      layers: [
        { type: 'conv2d', name: 'c1', filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' },
        { type: 'batchNorm', name: 'bn' },
        { type: 'maxPool2d', name: 'p' },
        { type: 'flatten', name: 'f' },
        { type: 'dropout', name: 'd', rate: 0.2 },
        { type: 'dense', name: 'out', units: 4, activation: 'softmax' },
      ],
    });
    const model = await backend.createModel(spec, undefined, { seed: 3 });
    const file = join(dir, 'model.onnx');
    await backend.exportModel!(model, 'onnx', file);
    const ort = await requireRuntime();
    const session = await ort.InferenceSession.create(file);
    const x = random(5 * 72, 1);
    const out = await session.run({ x: new ort.Tensor('float32', x, [5, 6, 6, 2]) });
    expectNear(out.output!.data as Float32Array, await model.predict(x, 5), 1e-6);
    const imported = await backend.importModel!(file);
    expect(imported.spec).toEqual(spec);
    const weights = await model.getWeights();
    for (const [name, t] of weights) expect(imported.weights.get(name)?.data, name).toEqual(t.data);
    await expect(backend.exportModel!(model, 'tfjs', file)).rejects.toThrow(/exports format "onnx"/);
    model.dispose();
  });
});

describe('import of a PyTorch-style ONNX CNN', () => {
  const file = join(dir, 'torch-like.onnx');
  writeFileSync(file, encodeModel(pytorchStyleCnn()));

  it('maps every op to a channels-last spec that computes the same function', async () => {
    const { spec, weights } = await backend.importModel!(file);
    expect(spec.inputShape).toEqual([8, 8, 2]);
    expect(spec.layers.map((l) => `${l.type}:${l.name}`)).toEqual([
      'conv2d:conv1',
      'maxPool2d:pool',
      'conv2d:conv2',
      'batchNorm:bn',
      'activation:relu_1',
      'flatten:flatten',
      'dense:fc',
    ]);
    expect(spec.layers[0]).toMatchObject({ padding: 'same', activation: 'relu' });
    expect(weights.get('conv1.kernel')!.shape).toEqual([3, 3, 2, 4]);
    const ort = await requireRuntime();
    const reference = await ort.InferenceSession.create(file);
    const x = random(4 * 128, 2);
    const expected = await reference.run({ input: new ort.Tensor('float32', toNchw(x, 4, 8, 8, 2), [4, 2, 8, 8]) });
    const model = await backend.createModel(spec, weights);
    expectNear(await model.predict(x, 4), expected.probabilities!.data as Float32Array, 1e-5);
    model.dispose();
  });

  it('fine-tunes with a new head while the imported base stays bit-identical', async () => {
    const imported = await backend.importModel!(file);
    const base = imported.spec.layers.slice(0, -1);
    const spec = validateSpec({
      inputShape: imported.spec.inputShape,
      layers: [...base, { type: 'dense', name: 'head', units: 3, activation: 'softmax' }],
    });
    const weights: NamedTensors = new Map([...imported.weights].filter(([name]) => !name.startsWith('fc.')));
    const model = await backend.createModel(spec, weights, { seed: 1, fresh: ['head'] });
    const trainer = model.trainer({
      trainable: ['head.kernel', 'head.bias'],
      groups: [{ name: 'head', params: ['head.kernel', 'head.bias'], lr: 0.05 }],
      optimizer: { type: 'adam' },
      loss: 'softmaxCrossEntropy',
    });
    const batch = { x: random(12 * 128, 4), labels: Int32Array.from({ length: 12 }, (_, i) => i % 3), size: 12 };
    const first = (await trainer.step(batch)).loss;
    let last = first;
    for (let i = 0; i < 30; i++) last = (await trainer.step(batch)).loss;
    expect(last).toBeLessThan(first * 0.8);
    const after = await model.getWeights();
    for (const [name, t] of weights) expect(Buffer.from(after.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer)), name).toBe(true);
    model.dispose();
  });

  it('keeps the layers up to an op without a headstart layer as an opaque base, naming the op and the node', async () => {
    const odd = join(dir, 'odd.onnx');
    writeFileSync(odd, encodeModel(pytorchStyleCnn('Abs')));
    const { spec } = await backend.importModel!(odd);
    expect(spec.layers.map((l) => l.type)).toEqual(['onnx', 'maxPool2d', 'conv2d', 'batchNorm', 'activation', 'flatten', 'dense']);
    expect(spec.layers[0]).toMatchObject({
      name: 'base',
      unsupported: { op: 'Abs', node: '/odd/Abs', reason: 'no headstart layer computes it' },
    });
  });

  it('rejects a model whose input is not float, naming the input', async () => {
    const ints = pytorchStyleCnn();
    ints.graph!.input![0]!.type!.tensorType!.elemType = 7;
    const file = join(dir, 'int-input.onnx');
    writeFileSync(file, encodeModel(ints));
    await expect(backend.importModel!(file)).rejects.toThrow(/input "input" has ONNX element type 7; expected float \(1\)/);
  });

  it('rejects a file that is not ONNX', async () => {
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, 'not a model at all');
    await expect(backend.importModel!(junk)).rejects.toThrow(/not an ONNX model/);
  });
});
