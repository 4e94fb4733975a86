import { dirname, join, relative } from 'node:path';
import { createTfjsBackend } from '@headstart/backend-tfjs';
import { createOnnxBackend } from '@headstart/backend-onnx';
import {
  createRng,
  defaultTextModelSpec,
  initializeWeights,
  readCheckpoint,
  nodeInputs,
  readManifest,
  runTraining,
  validateSpec,
} from '@headstart/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { digitsTransfer, runOf, type DigitsTransfer } from './__fixtures__/digits-transfer.js';
import { miniResnet } from './__fixtures__/graph-specs.js';
import { lora } from './lora.js';
import { loraTargets, withLora, withoutLora } from './lora-spec.js';
import { foldLora, loraWeights } from './lora-weights.js';

describe('lora on the digits transfer (tfjs)', () => {
  let t: DigitsTransfer;
  beforeAll(async () => {
    t = await digitsTransfer();
  });

  test('trains only the adapters and the new head: the base is bit-identical, and the checkpoint holds only what trained', async () => {
    const source = await readCheckpoint(t.source.file);
    const out = join(t.dir, 'lora.safetensors');
    const from = { ...t.source, sha256: source.sha256 };
    const run = await runTraining(await runOf(lora(), { epochs: 10, rank: 4 }, { train: t.few }, out, { from }));
    const weights = await run.result.model.getWeights();
    for (const name of ['enc1.kernel', 'enc1.bias', 'enc2.kernel', 'enc2.bias'])
      expect(weights.get(name)!.data, name).toEqual(source.weights.get(name)!.data);
    expect(weights.get('enc2__lora_b.kernel')!.data.some((v) => v !== 0)).toBe(true);
    expect(run.result.trainable).toEqual([
      'enc1__lora_a.kernel',
      'enc1__lora_b.kernel',
      'enc2__lora_a.kernel',
      'enc2__lora_b.kernel',
      'head.kernel',
      'head.bias',
    ]);
    const { manifest, tensors } = await readManifest(out);
    expect(manifest.adapter).toEqual({
      kind: 'lora',
      // Recorded relative to the adapter's folder, so the two can move together.
      base: { file: relative(dirname(out), t.source.file), sha256: source.sha256 },
      rank: 4,
      alpha: 16,
      targets: ['enc1', 'enc2'],
    });
    expect(tensors.some((x) => x.name.startsWith('enc1.') || x.name.startsWith('enc2.'))).toBe(false);
  });
});

describe('LoRA on a conv graph', () => {
  test('a ResNet with adapters on its convs (strided, padded, in residual blocks) folds into the same function', async () => {
    const spec = miniResnet();
    const targets = loraTargets(spec, spec.layers.length - 1, ['conv1', 'layer2_0_*']);
    expect(targets).toEqual(['conv1', 'layer2_0_conv1', 'layer2_0_conv2', 'layer2_0_downsample_0']);
    const adapted = withLora(spec, targets, 2, 3);
    const rng = createRng(7);
    const weights = new Map([...initializeWeights(spec, rng), ...loraWeights(adapted, targets, 2, 3, rng)]);
    // B starts at zero; give it values so the fold has something to fold.
    for (const target of targets) {
      const b = weights.get(`${target}__lora_b.kernel`)!;
      weights.set(`${target}__lora_b.kernel`, { shape: b.shape, data: b.data.map(() => rng.normal() * 0.3) });
    }
    expect(withoutLora(adapted, targets)).toEqual(spec);
    const backend = createTfjsBackend();
    const x = new Float32Array(4 * 64).map(() => rng.next());
    const withAdapters = await backend.createModel(adapted, weights);
    const merged = await backend.createModel(spec, foldLora(weights, targets, adapted));
    const [a, b] = [await withAdapters.predict(x, 4), await merged.predict(x, 4)];
    const plain = new Map([...weights].filter(([name]) => !name.includes('__lora_')));
    const base = await (await backend.createModel(spec, plain)).predict(x, 4);
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBeLessThan(1e-5);
    expect(Math.max(...a.map((v, i) => Math.abs(v - base[i]!)))).toBeGreaterThan(1e-3);
  });
});

describe('withLora on a graph whose layers name their inputs', () => {
  test('a target that takes another target reads that target’s adapted output, not its pre-activation', () => {
    const spec = validateSpec({
      inputShape: [4],
      layers: [
        { type: 'dense', name: 'enc1', units: 3, activation: 'relu' },
        { type: 'dense', name: 'side', inputs: ['enc1'], units: 3 },
        { type: 'dense', name: 'enc2', inputs: ['enc1'], units: 3, activation: 'relu' },
        { type: 'add', name: 'sum', inputs: ['side', 'enc2'] },
        { type: 'dense', name: 'head', units: 2, activation: 'softmax' },
      ],
    });
    const adapted = withLora(spec, ['enc1', 'enc2'], 2, 4);
    const inputsOf = (name: string) =>
      nodeInputs(
        adapted,
        adapted.layers.findIndex((l) => l.name === name),
      );
    expect(inputsOf('enc2')).toEqual(['enc1__lora_out']);
    expect(inputsOf('side')).toEqual(['enc1__lora_out']);
  });
});

describe('LoRA on the projections of attention layers (PEFT’s q_lin/v_lin)', () => {
  const spec = defaultTextModelSpec({ vocabSize: 30, maxLength: 6, padId: 0, classes: 3 }, { width: 8, heads: 2 });
  const head = spec.layers.length - 1;

  test('targets name projections as <layer>.q|k|v|out, by name or glob, beside dense layers', () => {
    expect(loraTargets(spec, head, ['*.q', '*.v'])).toEqual(['attn1.q', 'attn1.v', 'attn2.q', 'attn2.v']);
    expect(loraTargets(spec, head, ['attn2.*', 'ff2b'])).toEqual(['attn2.q', 'attn2.k', 'attn2.v', 'attn2.out', 'ff2b']);
    expect(() => loraTargets(spec, head, ['*.z'])).toThrow(
      'strategy lora: option target: "*.z" names no dense or conv2d layer or attention projection below the head; they are attn1.q, attn1.k, attn1.v, attn1.out, ff1a, ff1b, attn2.q, attn2.k, attn2.v, attn2.out, ff2a, ff2b',
    );
  });

  test('the adapters live in the attention layer; the fold W + (alpha/r)·A·B predicts as the adapted model on onnx and tfjs', async () => {
    const targets = loraTargets(spec, head, ['*.q', '*.v', 'attn2.out', 'ff1a']);
    const adapted = withLora(spec, targets, 2, 3);
    expect(adapted.layers.find((l) => l.name === 'attn1')).toMatchObject({ lora: { rank: 2, alpha: 3, projections: ['q', 'v'] } });
    expect(adapted.layers.find((l) => l.name === 'attn2')).toMatchObject({ lora: { rank: 2, alpha: 3, projections: ['q', 'v', 'out'] } });
    expect(withoutLora(adapted, targets)).toEqual(spec);
    const rng = createRng(5);
    const weights = new Map([...initializeWeights(spec, rng), ...loraWeights(adapted, targets, 2, 3, rng)]);
    expect(weights.get('attn1.qLoraB')!.data.every((v) => v === 0)).toBe(true);
    expect(weights.has('attn1.qLoraScale')).toBe(false);
    // B starts at zero; give it values so the fold has something to fold.
    for (const name of [...weights.keys()].filter((n) => n.endsWith('LoraB') || n.endsWith('__lora_b.kernel')))
      weights.set(name, { shape: weights.get(name)!.shape, data: weights.get(name)!.data.map(() => rng.normal() * 0.3) });
    const merged = foldLora(weights, targets, adapted);
    expect([...merged.keys()].filter((n) => n.includes('Lora') || n.includes('__lora_'))).toEqual([]);
    const ids = Int32Array.from({ length: 4 * 6 }, (_, i) => (i % 6 < 4 ? 1 + ((i * 7) % 29) : 0));
    const mask = Int32Array.from(ids, (id) => Number(id !== 0));
    const inputs = { input_ids: ids, attention_mask: mask };
    for (const backend of [createOnnxBackend(), createTfjsBackend()]) {
      const predict = async (s: typeof spec, w: typeof weights) => {
        const model = await backend.createModel(s, w);
        try {
          return await model.predictInputs!(inputs, 4);
        } finally {
          model.dispose();
        }
      };
      const [a, b] = [await predict(adapted, weights), await predict(spec, merged)];
      const plain = new Map([...weights].filter(([name]) => !name.includes('Lora') && !name.includes('__lora_')));
      const base = await predict(spec, plain);
      expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!))), backend.name).toBeLessThan(1e-5);
      expect(Math.max(...a.map((v, i) => Math.abs(v - base[i]!))), backend.name).toBeGreaterThan(1e-3);
    }
  });
});
