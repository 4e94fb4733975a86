import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { PROBE_LR, referenceLr } from './run/lr-find.js';
import { checkOptions, trainingOptionsSchema } from './strategy-options.js';

describe('lr: auto in strategy options', () => {
  test('is kept as it is, every other option parsed with its default', () => {
    const checked = checkOptions(trainingOptionsSchema, { lr: 'auto', epochs: '3' });
    expect(checked).toEqual({ ok: true, options: expect.objectContaining({ lr: 'auto', epochs: 3, batchSize: 32 }) });
  });

  test('another word is refused naming both things lr takes', () => {
    expect(checkOptions(trainingOptionsSchema, { lr: 'autox' })).toEqual({
      ok: false,
      field: 'lr',
      problem: 'expected a number or "auto", got "autox"',
    });
  });

  test('a strategy without an lr option has nothing to find', () => {
    expect(checkOptions(z.strictObject({ epochs: z.coerce.number().default(1) }), { lr: 'auto' })).toEqual({
      ok: false,
      field: 'lr',
      problem: 'auto: this strategy has no learning rate (lr) option to find',
    });
  });

  test('the other options are still checked', () => {
    expect(checkOptions(trainingOptionsSchema, { lr: 'auto', epochs: 'many' })).toMatchObject({ ok: false, field: 'epochs' });
  });
});

describe('referenceLr', () => {
  test('is the lr, unless another numeric option has the same value: then a part in a thousand above it', () => {
    expect(referenceLr({ lr: 1e-4, probeLr: 1e-2 })).toBe(1e-4);
    const nudged = referenceLr({ lr: 1e-3, pretrainLr: 1e-3, epochs: 5 });
    expect(nudged).not.toBe(1e-3);
    expect(nudged).toBeCloseTo(1.001e-3, 12);
  });

  test('a strategy that leaves lr to the data (continued) is tested at a given rate, PROBE_LR', () => {
    expect(referenceLr({ lr: undefined, epochs: undefined, headLr: 1e-2 })).toBe(PROBE_LR);
  });
});
