import { describe, expect, test } from 'vitest';
import { FRACTION, parseNumber, parseSeed, parseShape, POSITIVE, SCALE_FACTOR } from './data-options.js';

describe('flag parsing', () => {
  test('shapes', () => {
    expect(parseShape('8,8,1')).toEqual([8, 8, 1]);
    expect(parseShape('28x28x1')).toEqual([28, 28, 1]);
    expect(parseShape(undefined)).toBeUndefined();
    expect(() => parseShape('8,0')).toThrow('--input-shape: expected positive integers separated by commas (like 8,8,1), got "8,0"');
  });

  test('numbers', () => {
    expect(parseNumber('0.5', '--lr')).toBe(0.5);
    expect(parseNumber(' 2e-3 ', '--lr')).toBe(0.002);
    expect(() => parseNumber('', '--lr')).toThrow('--lr: expected a number, got ""');
    expect(() => parseNumber('0x10', '--lr', POSITIVE)).toThrow('--lr: expected a number > 0, got "0x10"');
    expect(() => parseNumber('Infinity', '--lr', POSITIVE)).toThrow('--lr: expected a number > 0, got "Infinity"');
  });

  test("a number out of a flag's range says what the range is", () => {
    expect(() => parseNumber('0', '--lr', POSITIVE)).toThrow('--lr: expected a number > 0, got "0"');
    expect(parseNumber('3.4e38', '--scale', SCALE_FACTOR)).toBe(3.4e38);
    expect(() => parseNumber('1e39', '--scale', SCALE_FACTOR)).toThrow(
      '--scale: expected a number > 0, at most 3.4e38 (float32), got "1e39"',
    );
    expect(() => parseNumber('1', '--val-split', FRACTION)).toThrow(
      '--val-split: expected a fraction from 0 up to (not including) 1, got "1"',
    );
  });

  test('seeds: the 32 bits the generator reads', () => {
    expect(parseSeed(undefined)).toBe(42);
    expect(parseSeed('4294967295')).toBe(4294967295);
    for (const seed of ['1.5', '-1', '4294967296', '99999999999999999999']) {
      expect(() => parseSeed(seed)).toThrow(`--seed: expected a whole number from 0 to 4294967295, got "${seed}"`);
    }
  });
});
