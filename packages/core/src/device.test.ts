import { describe, expect, test } from 'vitest';
import { deviceName, parseDevice } from './device.js';

describe('parseDevice', () => {
  test.each([
    ['cpu', { kind: 'cpu' }],
    ['cuda', { kind: 'cuda' }],
    ['cuda:0', { kind: 'cuda', index: 0 }],
    ['CUDA:1', { kind: 'cuda', index: 1 }],
    [' dml:2 ', { kind: 'dml', index: 2 }],
    ['coreml', { kind: 'coreml' }],
  ])('%s', (text, device) => {
    expect(parseDevice(text)).toEqual(device);
  });

  test.each(['gpu', '', 'cuda:', 'cuda:-1', 'cuda:1.5', 'cuda:x', 'cpu:0', 'coreml:1', 'cuda:1:2', 'cuda 1', 'cuda:99999999999999999999'])(
    '%j names no device',
    (text) => {
      expect(parseDevice(text)).toBeUndefined();
    },
  );

  test('deviceName reads back as the same device', () => {
    for (const text of ['cpu', 'cuda', 'cuda:3', 'dml:0', 'coreml']) expect(deviceName(parseDevice(text)!)).toBe(text);
  });
});
