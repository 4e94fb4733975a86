import { join } from 'node:path';
import { evaluateClassifier, parameterShapes, readCheckpoint, runStrategy, type TrainingEvent } from '@headstart/core';
import { filterByLabels } from '@headstart/data';
import { beforeAll, describe, expect, test } from 'vitest';
import { continued } from './continued.js';
import { frozenBase } from './frozen-base.js';
import { fullRetrain } from './full-retrain.js';
import { lpFt } from './lp-ft.js';
import { digitsTransfer, recorder, runOf, type DigitsTransfer } from './__fixtures__/digits-transfer.js';

let t: DigitsTransfer;
beforeAll(async () => {
  t = await digitsTransfer();
});

const accuracyOn = async (model: Parameters<typeof evaluateClassifier>[0], labels: (string | number)[]) =>
  (await evaluateClassifier(model, t.rest, labels)).accuracy;

describe('frozen-base', () => {
  test('trains only the new head: the base is bit-identical, and cached features give the same head as training through the base', async () => {
    const cached = recorder();
    const out = join(t.dir, 'frozen.safetensors');
    const a = await runStrategy(await runOf(frozenBase(), { epochs: 20 }, { train: t.few }, out, { from: t.source, emit: cached.emit }));
    const b = await runStrategy(
      await runOf(frozenBase(), { epochs: 20, cacheFeatures: false }, { train: t.few }, join(t.dir, 'frozen-uncached.safetensors'), {
        from: t.source,
      }),
    );
    const [wa, wb] = [await a.result.model.getWeights(), await b.result.model.getWeights()];
    for (const name of ['enc1.kernel', 'enc1.bias', 'enc2.kernel', 'enc2.bias']) {
      expect(wa.get(name)!.data, name).toEqual(t.source.weights.get(name)!.data);
      expect(wb.get(name)!.data, name).toEqual(t.source.weights.get(name)!.data);
    }
    for (const name of ['head.kernel', 'head.bias']) {
      const [x, y] = [wa.get(name)!.data, wb.get(name)!.data];
      expect(Math.max(...x.map((v, i) => Math.abs(v - y[i]!)))).toBeLessThan(1e-4);
    }
    expect(cached.events.some((e) => e.type === 'log' && /features were computed once/.test(e.message))).toBe(true);
    expect(a.result.trainable).toEqual(['head.kernel', 'head.bias']);
    const saved = await readCheckpoint(out);
    expect(saved.manifest.labels).toEqual([5, 6, 7, 8, 9]);
    expect(saved.manifest.provenance.map((p) => p.strategy)).toEqual(['frozen-base']);
    expect(await accuracyOn(a.result.model, [5, 6, 7, 8, 9])).toBeGreaterThan(0.6);
  });

  test('--freeze globs choose what stays frozen', async () => {
    const run = await runStrategy(
      await runOf(frozenBase(), { epochs: 3, freeze: 'enc1.*' }, { train: t.few }, join(t.dir, 'freeze.safetensors'), { from: t.source }),
    );
    const w = await run.result.model.getWeights();
    expect(w.get('enc1.kernel')!.data).toEqual(t.source.weights.get('enc1.kernel')!.data);
    expect(w.get('enc2.kernel')!.data).not.toEqual(t.source.weights.get('enc2.kernel')!.data);
    expect(run.result.trainable).toEqual(['enc2.kernel', 'enc2.bias', 'head.kernel', 'head.bias']);
  });

  test('refuses to run without a starting model', async () => {
    await expect(runStrategy(await runOf(frozenBase(), {}, { train: t.few }, join(t.dir, 'none.safetensors')))).rejects.toThrow(
      'frozen-base starts from a trained model: give --from CHECKPOINT (or a model file a backend can import)',
    );
  });
});

describe('continued', () => {
  test('trains every weight, replacing the head when the labels differ, and says so', async () => {
    const { events, emit } = recorder();
    const run = await runStrategy(
      await runOf(continued(), { epochs: 5 }, { train: t.few }, join(t.dir, 'continued.safetensors'), { from: t.source, emit }),
    );
    const w = await run.result.model.getWeights();
    expect(w.get('enc1.kernel')!.data).not.toEqual(t.source.weights.get('enc1.kernel')!.data);
    expect(w.get('head.kernel')!.shape).toEqual([64, 5]);
    expect(events.find((e): e is Extract<TrainingEvent, { type: 'log' }> => e.type === 'log')?.message).toBe(
      "continued: new head (head) for labels [5, 6, 7, 8, 9]; the checkpoint's labels were [0, 1, 2, 3, 4]",
    );
  });

  test("keeps the head when the labels are the checkpoint's own", async () => {
    const { events, emit } = recorder();
    const sameLabels = {
      ...t.source,
      labels: [5, 6, 7, 8, 9],
      weights: new Map([
        ...t.source.weights,
        ['head.kernel', { shape: [64, 5], data: new Float32Array(320).fill(0.01) }],
        ['head.bias', { shape: [5], data: new Float32Array(5) }],
      ]),
    };
    const spec = {
      ...t.source.spec,
      layers: t.source.spec.layers.map((l) => (l.name === 'head' ? { ...l, units: 5 } : l)),
    } as typeof t.source.spec;
    const run = await runStrategy(
      await runOf(continued(), { epochs: 1, lr: 1e-9 }, { train: t.few }, join(t.dir, 'keep.safetensors'), {
        from: { ...sameLabels, spec },
        emit,
      }),
    );
    expect(events.some((e) => e.type === 'log')).toBe(false);
    const head = (await run.result.model.getWeights()).get('head.kernel')!.data;
    expect(Math.max(...head.map((v) => Math.abs(v - 0.01)))).toBeLessThan(1e-4);
  });

  test('L2-SP pulls the weights towards the pretrained ones', async () => {
    const distance = async (l2sp: number): Promise<number> => {
      const run = await runStrategy(
        await runOf(continued(), { epochs: 8, lr: 3e-3, l2sp }, { train: t.few }, join(t.dir, `l2sp-${l2sp}.safetensors`), {
          from: t.source,
        }),
      );
      const w = await run.result.model.getWeights();
      let sum = 0;
      for (const p of parameterShapes(t.source.spec).filter((p) => p.layer !== 'head')) {
        const [a, b] = [w.get(p.name)!.data, t.source.weights.get(p.name)!.data];
        for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
      }
      return Math.sqrt(sum);
    };
    const [free, pulled] = [await distance(0), await distance(1)];
    expect(pulled).toBeLessThan(free * 0.8);
  });

  test('L2-SP leaves a replaced head alone: a new head of another size trains freely', async () => {
    const three = filterByLabels(t.few, [5, 6, 7]);
    const run = await runStrategy(
      await runOf(continued(), { epochs: 2, l2sp: 1 }, { train: three }, join(t.dir, 'l2sp-3.safetensors'), { from: t.source }),
    );
    expect((await run.result.model.getWeights()).get('head.kernel')!.shape).toEqual([64, 3]);
  });
});

describe('lp-ft', () => {
  test('probes the head with the base frozen, then fine-tunes everything', async () => {
    const { events, emit } = recorder();
    const run = await runStrategy(
      await runOf(lpFt(), { probeEpochs: 20, epochs: 10 }, { train: t.few }, join(t.dir, 'lpft.safetensors'), { from: t.source, emit }),
    );
    const probeEpochs = events.filter((e) => e.type === 'epoch-end' && e.epochs === 20);
    const finetuneEpochs = events.filter((e) => e.type === 'epoch-end' && e.epochs === 10);
    expect([probeEpochs.length, finetuneEpochs.length]).toEqual([20, 10]);
    expect(run.result.trainable).toHaveLength(6);
    const scratch = await runStrategy(await runOf(fullRetrain(), { epochs: 30 }, { train: t.few }, join(t.dir, 'scratch.safetensors')));
    const [transfer, fromScratch] = [
      await accuracyOn(run.result.model, [5, 6, 7, 8, 9]),
      await accuracyOn(scratch.result.model, [5, 6, 7, 8, 9]),
    ];
    console.log(`10 labels/class of 5-9: lp-ft ${transfer.toFixed(3)}, full-retrain ${fromScratch.toFixed(3)}`);
    expect(transfer).toBeGreaterThan(0.6);
  });
});
