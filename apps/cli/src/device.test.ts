import { createOnnxBackend } from '@headstart/backend-onnx';
import { createTfjsBackend } from '@headstart/backend-tfjs';
import type { Backend } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { CliError } from './cli-error.js';
import { onDevice, readDevice } from './device.js';

async function start(backend: Backend) {
  return { backend, availability: await backend.probe() };
}

describe('--device', () => {
  test('absent: the CPU; a spelling: that device', () => {
    expect(readDevice(undefined)).toEqual({ kind: 'cpu' });
    expect(readDevice('cuda:1')).toEqual({ kind: 'cuda', index: 1 });
  });

  test('an unknown spelling is refused in one line naming the flag and what it takes', () => {
    expect(() => readDevice('gpu')).toThrow(new CliError('--device "gpu": expected cpu, cuda, cuda:N, dml, dml:N or coreml'));
    expect(() => readDevice('cuda:x', 'p.yaml: device')).toThrow('p.yaml: device "cuda:x": expected');
  });

  test('cpu keeps the backend as started', async () => {
    const onnx = await start(createOnnxBackend());
    expect(onDevice(onnx, { kind: 'cpu' })).toBe(onnx);
  });

  test('a device the backend does not list here is refused naming what is available; one it lists goes through onDevice', async () => {
    const onnx = await start(createOnnxBackend());
    // This machine has no GPU and onnxruntime-node without its CUDA library: onnx lists cpu alone.
    if (onnx.availability.devices?.includes('cuda')) {
      expect(onDevice(onnx, { kind: 'cuda' }).backend).not.toBe(onnx.backend);
      return;
    }
    expect(onnx.availability.devices).toEqual(['cpu']);
    expect(() => onDevice(onnx, { kind: 'cuda' })).toThrow(
      new CliError('--device cuda: the onnx backend cannot compute on cuda here (available: cpu); GPU set-up: docs/gpu.md'),
    );
  });

  test('tfjs computes on the CPU only: any other device is refused', async () => {
    const tfjs = await start(createTfjsBackend());
    expect(tfjs.backend.onDevice).toBeUndefined();
    expect(() => onDevice(tfjs, { kind: 'dml', index: 0 })).toThrow(
      new CliError('--device dml:0: the tfjs backend cannot compute on dml here (available: cpu); GPU set-up: docs/gpu.md'),
    );
  });
});
