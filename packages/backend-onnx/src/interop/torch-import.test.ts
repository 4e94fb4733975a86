import { nodeInputs, type LayerInput, type ModelSpec } from '@headstart/core';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createOnnxBackend } from '../base.js';
import { requireRuntime } from '../runtime/runtime.js';

// The PyTorch-made fixtures of tests/fixtures/torch (see the README there): torchvision-style graphs exported by torch.onnx.export.
const TORCH = join(import.meta.dirname, '..', '..', '..', '..', 'tests', 'fixtures', 'torch');
const MODELS = ['mini-resnet', 'mini-mobilenetv2', 'resnet-stem'] as const;
const VARIANTS = ['opset13', 'opset17', 'bn.opset13', 'bn.opset17'] as const;

const backend = createOnnxBackend();
const sessions: { release(): Promise<void> }[] = [];
afterAll(async () => Promise.all(sessions.map((s) => s.release())));

interface Expected {
  input: { shape: [number, number, number, number]; data: number[] };
  output: { data: number[] };
}

function expected(model: string): Expected {
  return JSON.parse(readFileSync(join(TORCH, `${model}.expected.json`), 'utf8')) as Expected;
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** NCHW → channels-last. */
function toNhwc(x: ArrayLike<number>, [n, c, h, w]: readonly number[]): Float32Array {
  const out = new Float32Array(x.length);
  for (let s = 0; s < n!; s++)
    for (let ci = 0; ci < c!; ci++)
      for (let y = 0; y < h!; y++) for (let xx = 0; xx < w!; xx++) out[((s * h! + y) * w! + xx) * c! + ci] = x[((s * c! + ci) * h! + y) * w! + xx]!;
  return out;
}

/** `type name <- inputs`, one per layer: the graph at a glance. */
function outline(spec: ModelSpec): string[] {
  return spec.layers.map((l, i) => `${l.type} ${l.name} <- ${nodeInputs(spec, i).join(',')}`);
}

describe.each(MODELS.flatMap((model) => VARIANTS.map((variant) => [model, variant] as const)))('import of %s.%s.onnx', (model, variant) => {
  const file = join(TORCH, `${model}.${variant}.onnx`);

  it('maps every node to a trainable layer (no opaque block) and predicts like PyTorch and onnxruntime (≤ 1e-4)', async () => {
    const { spec, weights } = await backend.importModel!(file);
    expect(spec.layers.filter((l) => l.type === 'onnx')).toEqual([]);
    const { input, output } = expected(model);
    const ort = await requireRuntime();
    const session = await ort.InferenceSession.create(file);
    sessions.push(session);
    const original = await session.run({ input: new ort.Tensor('float32', Float32Array.from(input.data), input.shape) });
    const live = await backend.createModel(spec, weights);
    try {
      const predicted = await live.predict(toNhwc(input.data, input.shape), input.shape[0]);
      expect(maxDifference(predicted, output.data)).toBeLessThan(1e-4);
      expect(maxDifference(predicted, original.logits!.data as Float32Array)).toBeLessThan(1e-4);
    } finally {
      live.dispose();
    }
  });
});

describe('the imported graphs', () => {
  it('mini-resnet (BN folded): a conv per torchvision conv named by its module, ReLUs fused, residual adds reading the shortcut', async () => {
    const { spec, weights } = await backend.importModel!(join(TORCH, 'mini-resnet.opset17.onnx'));
    expect(spec.inputShape).toEqual([8, 8, 1]);
    expect(outline(spec)).toEqual([
      'conv2d conv1 <- input',
      'conv2d layer1_0_conv1 <- conv1',
      'conv2d layer1_0_conv2 <- layer1_0_conv1',
      'add layer1_0_add <- layer1_0_conv2,conv1',
      'activation layer1_0_relu_1 <- layer1_0_add',
      'conv2d layer2_0_downsample_0 <- layer1_0_relu_1',
      'conv2d layer2_0_conv1 <- layer1_0_relu_1',
      'conv2d layer2_0_conv2 <- layer2_0_conv1',
      'add layer2_0_add <- layer2_0_conv2,layer2_0_downsample_0',
      'activation layer2_0_relu_1 <- layer2_0_add',
      'conv2d layer3_0_downsample_0 <- layer2_0_relu_1',
      'conv2d layer3_0_conv1 <- layer2_0_relu_1',
      'conv2d layer3_0_conv2 <- layer3_0_conv1',
      'add layer3_0_add <- layer3_0_conv2,layer3_0_downsample_0',
      'activation layer3_0_relu_1 <- layer3_0_add',
      'globalAvgPool2d avgpool <- layer3_0_relu_1',
      'dense fc <- avgpool',
    ]);
    const byName = new Map(spec.layers.map((l) => [l.name, l]));
    expect(byName.get('conv1')).toMatchObject({ filters: 8, kernelSize: [3, 3], padding: 'same', activation: 'relu', useBias: true });
    // PyTorch's padding=1 with stride 2 is not Keras's "same" on an even size: the pads stay explicit.
    expect(byName.get('layer2_0_conv1')).toMatchObject({ strides: [2, 2], padding: 1, activation: 'relu' });
    expect(byName.get('layer2_0_downsample_0')).toMatchObject({ kernelSize: [1, 1], strides: [2, 2], padding: 'valid', activation: 'linear' });
    expect(weights.get('layer2_0_conv1.kernel')!.shape).toEqual([3, 3, 8, 16]);
    expect(weights.get('fc.kernel')!.shape).toEqual([32, 5]);
  });

  it('mini-mobilenetv2 (BN nodes): depthwise convs with groups, batch norms with PyTorch epsilon and momentum, Clip(0, 6) as relu6', async () => {
    const { spec, weights } = await backend.importModel!(join(TORCH, 'mini-mobilenetv2.bn.opset13.onnx'));
    expect(spec.layers.slice(0, 9)).toEqual<LayerInput[]>([
      { type: 'conv2d', name: 'features_0_0', filters: 8, kernelSize: [3, 3], strides: [1, 1], padding: 'same', activation: 'linear', useBias: false },
      { type: 'batchNorm', name: 'features_0_1', momentum: 0.9, epsilon: 1e-5 },
      { type: 'activation', name: 'features_0_2', activation: 'relu6' },
      {
        type: 'conv2d',
        name: 'features_1_conv_0_0',
        filters: 8,
        kernelSize: [3, 3],
        strides: [1, 1],
        padding: 'same',
        groups: 8,
        activation: 'linear',
        useBias: false,
      },
      { type: 'batchNorm', name: 'features_1_conv_0_1', momentum: 0.9, epsilon: 1e-5 },
      { type: 'activation', name: 'features_1_conv_0_2', activation: 'relu6' },
      { type: 'conv2d', name: 'features_1_conv_1', filters: 8, kernelSize: [1, 1], strides: [1, 1], padding: 'valid', activation: 'linear', useBias: false },
      { type: 'batchNorm', name: 'features_1_conv_2', momentum: 0.9, epsilon: 1e-5 },
      { type: 'add', name: 'features_1_add', inputs: ['features_0_2', 'features_1_conv_2'] },
    ]);
    expect(spec.layers.find((l) => l.name === 'features_2_conv_1_0')).toMatchObject({ groups: 32, strides: [2, 2], padding: 1 });
    expect(weights.get('features_2_conv_1_0.kernel')!.shape).toEqual([3, 3, 1, 32]);
    expect(spec.layers.slice(-3).map((l) => `${l.type} ${l.name}`)).toEqual(['activation features_6_2', 'globalAvgPool2d globalAveragePool', 'dense classifier_1']);
  });

  it('mini-mobilenetv2 (BN folded): every Clip(0, 6) fused into its conv as relu6', async () => {
    const { spec } = await backend.importModel!(join(TORCH, 'mini-mobilenetv2.opset17.onnx'));
    const types = spec.layers.map((l) => l.type);
    expect(types.filter((t) => t === 'conv2d')).toHaveLength(16);
    expect(types.filter((t) => t === 'activation')).toEqual([]);
    expect(spec.layers.filter((l) => l.type === 'conv2d' && l.activation === 'relu6')).toHaveLength(11);
  });

  it("resnet-stem: torchvision's stem, conv 7×7 stride 2 padding 3 and max pool 3×3 stride 2 padding 1", async () => {
    const { spec } = await backend.importModel!(join(TORCH, 'resnet-stem.bn.opset17.onnx'));
    expect(outline(spec).slice(0, 4)).toEqual(['conv2d conv1 <- input', 'batchNorm bn1 <- conv1', 'activation relu <- bn1', 'maxPool2d maxpool <- relu']);
    expect(spec.layers[0]).toMatchObject({ kernelSize: [7, 7], strides: [2, 2], padding: 3, useBias: false });
    expect(spec.layers[3]).toEqual({ type: 'maxPool2d', name: 'maxpool', poolSize: [3, 3], strides: [2, 2], padding: 1 });
  });

  it("mini-resnet (BN nodes): PyTorch's Identity copy of an equal initializer gives the batch norm that weight", async () => {
    const { weights } = await backend.importModel!(join(TORCH, 'mini-resnet.bn.opset17.onnx'));
    const [copy, original] = [weights.get('layer2_0_downsample_1.beta')!, weights.get('layer2_0_bn2.beta')!];
    expect(copy.data).toEqual(original.data);
    expect(weights.get('layer2_0_downsample_1.movingMean')!.data).not.toEqual(weights.get('layer2_0_bn2.movingMean')!.data);
  });
});

describe.each(['mini-resnet.bn.opset17', 'mini-mobilenetv2.opset13'])('export of the imported %s.onnx', (name) => {
  it('runs in onnxruntime as the model predicts (and as PyTorch did), and imports back bit for bit', async () => {
    const imported = await backend.importModel!(join(TORCH, `${name}.onnx`));
    const live = await backend.createModel(imported.spec, imported.weights);
    const file = join(mkdtempSync(join(tmpdir(), 'headstart-torch-export-')), `${name}.onnx`);
    const { input, output } = expected(name.split('.')[0]!);
    const x = toNhwc(input.data, input.shape);
    const n = input.shape[0];
    try {
      await backend.exportModel!(live, 'onnx', file);
      const ort = await requireRuntime();
      const session = await ort.InferenceSession.create(file);
      sessions.push(session);
      const exported = await session.run({ x: new ort.Tensor('float32', x, [n, ...imported.spec.inputShape]) });
      const got = exported.output!.data as Float32Array;
      expect(maxDifference(got, await live.predict(x, n))).toBeLessThan(1e-5);
      expect(maxDifference(got, output.data)).toBeLessThan(1e-4);
    } finally {
      live.dispose();
    }
    const back = await backend.importModel!(file);
    expect(back.spec).toEqual(imported.spec);
    expect([...back.weights.keys()]).toEqual([...imported.weights.keys()]);
    for (const [param, t] of imported.weights) {
      expect(back.weights.get(param)!.shape, param).toEqual(t.shape);
      expect(Buffer.from(back.weights.get(param)!.data.buffer).equals(Buffer.from(t.data.buffer)), param).toBe(true);
    }
  });
});
