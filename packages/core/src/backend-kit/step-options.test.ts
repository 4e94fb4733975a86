import { describe, expect, it } from 'vitest';
import type { StepOptions } from '../backend.js';
import { stepLrScale } from './step-options.js';

describe('stepLrScale', () => {
  it('reads { lrScale }, the positional number, and 1 when neither is given', () => {
    expect(stepLrScale({ lrScale: 0.25 })).toBe(0.25);
    expect(stepLrScale(0.25)).toBe(0.25);
    expect(stepLrScale({ lrScale: 0 })).toBe(0);
    expect(stepLrScale(undefined)).toBe(1);
    expect(stepLrScale({})).toBe(1);
    expect(stepLrScale({ lrScale: undefined })).toBe(1);
  });

  it('refuses an unknown option, naming it and the options there are', () => {
    expect(() => stepLrScale({ lrscale: 0.5 } as StepOptions)).toThrow('trainer.step: unknown option "lrscale"; the options are lrScale');
  });

  it('refuses a factor that is negative, not finite or not a number, in either form', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '0.5' as unknown as number]) {
      expect(() => stepLrScale(bad)).toThrow(`lrScale must be a finite number ≥ 0, got ${String(bad)}`);
      expect(() => stepLrScale({ lrScale: bad })).toThrow(`lrScale must be a finite number ≥ 0, got ${String(bad)}`);
    }
  });
});
