import { expect, test } from 'vitest';
import { applyUpdate, slotNames } from './optimizer.js';

const param = (slots: string[], weightDecay = 0) => ({
  value: Float64Array.of(1),
  gradient: Float64Array.of(0.5),
  lr: 0.1,
  weightDecay,
  slots: new Map(slots.map((s) => [s, new Float64Array(1)])),
});

test('SGD with momentum and L2 decay: buf = μ·buf + g + wd·w, w −= lr·buf; Nesterov looks ahead', () => {
  const p = param(slotNames({ type: 'sgd', momentum: 0.9 }), 0.1);
  applyUpdate({ type: 'sgd', momentum: 0.9 }, p, 1);
  expect(p.value[0]).toBeCloseTo(1 - 0.1 * 0.6, 15);
  applyUpdate({ type: 'sgd', momentum: 0.9 }, p, 2);
  const buffer = 0.9 * 0.6 + (0.5 + 0.1 * 0.94);
  expect(p.slots.get('momentum')![0]).toBeCloseTo(buffer, 15);
  expect(p.value[0]).toBeCloseTo(0.94 - 0.1 * buffer, 15);
  const n = param(['momentum']);
  applyUpdate({ type: 'sgd', momentum: 0.9, nesterov: true }, n, 1);
  expect(n.value[0]).toBeCloseTo(1 - 0.1 * (0.5 + 0.9 * 0.5), 15);
});

test("Adam's first step is lr·g/(|g| + ε) after bias correction; AdamW decays the weight first", () => {
  const adam = param(slotNames({ type: 'adam' }));
  applyUpdate({ type: 'adam' }, adam, 1);
  expect(adam.value[0]).toBeCloseTo(1 - 0.1 * (0.5 / (0.5 + 1e-8)), 12);
  const adamw = param(['m', 'v'], 0.5);
  applyUpdate({ type: 'adamw' }, adamw, 1);
  expect(adamw.value[0]).toBeCloseTo(1 * (1 - 0.1 * 0.5) - 0.1 * (0.5 / (0.5 + 1e-8)), 12);
});
