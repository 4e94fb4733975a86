import { describe, expect, test } from 'vitest';
import { parseNumber, parseShape } from './data-options.js';

describe('flag parsing', () => {
  test('shapes', () => {
    expect(parseShape('8,8,1')).toEqual([8, 8, 1]);
    expect(parseShape('28x28x1')).toEqual([28, 28, 1]);
    expect(parseShape(undefined)).toBeUndefined();
    expect(() => parseShape('8,0')).toThrow('--input-shape: expected positive integers separated by commas (like 8,8,1), got "8,0"');
  });

  test('numbers', () => {
    expect(parseNumber('0.5', '--lr')).toBe(0.5);
    expect(() => parseNumber('', '--lr')).toThrow('--lr: expected a number, got ""');
    expect(() => parseNumber('1.5', '--seed', Number.isInteger)).toThrow('--seed: expected a whole number, got "1.5"');
  });
});
