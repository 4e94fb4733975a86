import { dirname, join, relative } from 'node:path';
import { createTfjsBackend } from '@headstart/backend-tfjs';
import { createRng, initializeWeights, readCheckpoint, nodeInputs, readManifest, runTraining, validateSpec } from '@headstart/core';
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
    const adapted = withLora(spec, targets, 2);
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
    const merged = await backend.createModel(spec, foldLora(weights, targets));
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
    const adapted = withLora(spec, ['enc1', 'enc2'], 2);
    const inputsOf = (name: string) =>
      nodeInputs(
        adapted,
        adapted.layers.findIndex((l) => l.name === name),
      );
    expect(inputsOf('enc2')).toEqual(['enc1__lora_out']);
    expect(inputsOf('side')).toEqual(['enc1__lora_out']);
  });
});
