import { validateSpec, type Model, type OptimizerConfig, type TrainerOptions } from '@headstart/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTfjsBackend } from './base.js';

// A 2-parameter model, y = w·x + b, trained with mse: small enough to follow by hand.
const spec = validateSpec({ inputShape: [1], layers: [{ type: 'dense', name: 'd', units: 1 }] });
const x = [0.5, -1.5, 2.0];
const t = [1, 0.3, -0.7];
const batch = { x: Float32Array.from(x), targets: Float32Array.from(t), size: 3 };
const lrScales = [1, 0.5, 0.8, 1, 0.3, 1];
const groups = [
  { name: 'kernel', params: ['d.kernel'], lr: 0.1, weightDecay: 0.05 },
  { name: 'bias', params: ['d.bias'], lr: 0.05, weightDecay: 0.01 },
];

/** One hand-written optimizer step on a scalar parameter; `state` holds its slots. */
type Reference = (w: number, g: number, lr: number, wd: number, step: number, state: Record<string, number>) => number;

function sgd(momentum: number, nesterov: boolean): Reference {
  return (w, g, lr, wd, _step, s) => {
    let d = g + wd * w;
    s.buf = momentum * (s.buf ?? 0) + d;
    if (momentum > 0) d = nesterov ? d + momentum * s.buf : s.buf;
    return w - lr * d;
  };
}

function adam(decoupled: boolean, b1 = 0.9, b2 = 0.999, eps = 1e-8): Reference {
  return (w, g, lr, wd, step, s) => {
    if (decoupled) w = w * (1 - lr * wd);
    else g = g + wd * w;
    s.m = b1 * (s.m ?? 0) + (1 - b1) * g;
    s.v = b2 * (s.v ?? 0) + (1 - b2) * g * g;
    const mHat = s.m / (1 - b1 ** step);
    const vHat = s.v / (1 - b2 ** step);
    return w - (lr * mHat) / (Math.sqrt(vHat) + eps);
  };
}

/** Losses and parameters after each step, computed in plain JS (double precision). */
function referenceRun(update: Reference, w0: number, b0: number): { losses: number[]; params: [number, number][] } {
  let [w, b] = [w0, b0];
  const [sw, sb] = [{}, {}];
  const losses: number[] = [];
  const params: [number, number][] = [];
  lrScales.forEach((scale, i) => {
    const r = x.map((xi, k) => w * xi + b - t[k]!);
    losses.push(r.reduce((s, v) => s + v * v, 0) / x.length);
    const gw = (2 / x.length) * r.reduce((s, v, k) => s + v * x[k]!, 0);
    const gb = (2 / x.length) * r.reduce((s, v) => s + v, 0);
    w = update(w, gw, groups[0]!.lr * scale, groups[0]!.weightDecay, i + 1, sw);
    b = update(b, gb, groups[1]!.lr * scale, groups[1]!.weightDecay, i + 1, sb);
    params.push([w, b]);
  });
  return { losses, params };
}

const cases: [string, OptimizerConfig, Reference][] = [
  ['plain SGD', { type: 'sgd' }, sgd(0, false)],
  ['SGD with momentum', { type: 'sgd', momentum: 0.9 }, sgd(0.9, false)],
  ['SGD with Nesterov momentum', { type: 'sgd', momentum: 0.8, nesterov: true }, sgd(0.8, true)],
  ['Adam (L2 weight decay)', { type: 'adam' }, adam(false)],
  ['Adam with other betas', { type: 'adam', beta1: 0.5, beta2: 0.9, epsilon: 1e-6 }, adam(false, 0.5, 0.9, 1e-6)],
  ['AdamW (decoupled weight decay)', { type: 'adamw' }, adam(true)],
];

describe('optimizers follow PyTorch semantics', () => {
  const backend = createTfjsBackend({ note: () => {} });
  let model: Model;
  beforeAll(async () => {
    model = await backend.createModel(
      spec,
      new Map([
        ['d.kernel', { shape: [1, 1], data: Float32Array.of(0.7) }],
        ['d.bias', { shape: [1], data: Float32Array.of(-0.2) }],
      ]),
    );
  });
  afterAll(() => model.dispose());

  test.each(cases)('%s matches a hand-computed reference within 1e-6', async (_name, optimizer, update) => {
    const start = await model.getWeights();
    const options: TrainerOptions = { trainable: ['d.kernel', 'd.bias'], groups, optimizer, loss: 'mse' };
    const trainer = model.trainer(options);
    const want = referenceRun(update, 0.7, -0.2);
    for (const [i, scale] of lrScales.entries()) {
      const { loss, correct } = await trainer.step(batch, { lrScale: scale });
      expect(correct).toBeUndefined();
      expect(Math.abs(loss - want.losses[i]!)).toBeLessThan(1e-6);
      const weights = await model.getWeights();
      expect(Math.abs(weights.get('d.kernel')!.data[0]! - want.params[i]![0])).toBeLessThan(1e-6);
      expect(Math.abs(weights.get('d.bias')!.data[0]! - want.params[i]![1])).toBeLessThan(1e-6);
    }
    trainer.dispose();
    await model.setWeights(start);
  });

  test('state tensors are named optim.<slot>.<param> plus optim.step', async () => {
    const names = async (optimizer: OptimizerConfig): Promise<[string, number[]][]> => {
      const trainer = model.trainer({ trainable: ['d.kernel', 'd.bias'], groups, optimizer, loss: 'mse' });
      await trainer.step(batch, { lrScale: 0 });
      const state = await trainer.getState();
      trainer.dispose();
      return [...state].map(([name, tensor]) => [name, tensor.shape]);
    };
    expect(await names({ type: 'adamw' })).toEqual([
      ['optim.m.d.kernel', [1, 1]],
      ['optim.m.d.bias', [1]],
      ['optim.v.d.kernel', [1, 1]],
      ['optim.v.d.bias', [1]],
      ['optim.step', [1]],
    ]);
    expect(await names({ type: 'sgd', momentum: 0.5 })).toEqual([
      ['optim.momentum.d.kernel', [1, 1]],
      ['optim.momentum.d.bias', [1]],
      ['optim.step', [1]],
    ]);
    expect(await names({ type: 'sgd' })).toEqual([['optim.step', [1]]]);
  });

  test('setState refuses missing, mis-shaped and foreign slots', async () => {
    const trainer = model.trainer({ trainable: ['d.kernel'], groups, optimizer: { type: 'adam' }, loss: 'mse' });
    const state = await trainer.getState();
    const without = new Map(state);
    without.delete('optim.v.d.kernel');
    await expect(trainer.setState(without)).rejects.toThrow('optimizer state: optim.v.d.kernel is missing');
    await expect(trainer.setState(new Map([...state, ['optim.m.d.kernel', { shape: [1], data: Float32Array.of(0) }]]))).rejects.toThrow(
      'optimizer state: optim.m.d.kernel has shape [1], expected [1,1]',
    );
    await expect(trainer.setState(new Map([...state, ['optim.m.d.bias', { shape: [1], data: Float32Array.of(0) }]]))).rejects.toThrow(
      'optim.m.d.bias not used by this optimizer',
    );
    trainer.dispose();
  });

  test('invalid hyper-parameters and group assignments are refused with a clear message', () => {
    const make = (options: Partial<TrainerOptions>) => () =>
      model.trainer({ trainable: ['d.kernel', 'd.bias'], groups, optimizer: { type: 'sgd' }, loss: 'mse', ...options }).dispose();
    expect(make({ optimizer: { type: 'sgd', nesterov: true } })).toThrow('sgd nesterov needs a momentum > 0');
    expect(make({ optimizer: { type: 'adam', beta1: 1 } })).toThrow('adam beta1 must be in [0, 1), got 1');
    expect(make({ groups: [groups[0]!] })).toThrow('groups: trainable parameter "d.bias" is in no group');
    expect(make({ groups: [...groups, { name: 'again', params: ['d.bias'], lr: 1 }] })).toThrow(
      'groups: parameter "d.bias" is in both "bias" and "again"',
    );
    expect(make({ trainable: ['d.gamma'] })).toThrow('trainable: unknown parameter "d.gamma"');
    expect(make({ loss: 'softmaxCrossEntropy' })).toThrow('loss softmaxCrossEntropy needs a model ending in a softmax activation');
  });
});
