import { describe, expect, it } from 'vitest';
import { FLOAT32_MAX, fitsFloat32, isDecimal } from './float32.js';

describe('float32 values', () => {
  it('reads plain decimal notation only', () => {
    for (const text of ['0', '-12', '+3', '1.', '.5', '-0.25', '1e3', '1E-3', '2.5e+10']) expect(isDecimal(text), text).toBe(true);
    for (const text of ['', ' 1', '0x10', '0b1', '0o7', 'Infinity', 'NaN', '1_000', '1e', '.', '--1', '1,5'])
      expect(isDecimal(text), text).toBe(false);
  });

  it('holds values up to the largest float32, including those that round down to it', () => {
    expect(fitsFloat32(FLOAT32_MAX)).toBe(true);
    expect(fitsFloat32(-3.4028235e38)).toBe(true);
    expect(fitsFloat32(3.4e39)).toBe(false);
    expect(fitsFloat32(-1e40)).toBe(false);
    expect(fitsFloat32(Infinity)).toBe(false);
    expect(fitsFloat32(NaN)).toBe(false);
    // Too small for float32 becomes 0: precision lost, not a wrong magnitude.
    expect(fitsFloat32(1e-50)).toBe(true);
  });
});
