import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadstartError, validateSpec } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { createOnnxBackend } from '../base.js';
import { deviceSupport, executionProviders } from './devices.js';
import { requireRuntime } from './runtime.js';

const spec = validateSpec({ inputShape: [3], layers: [{ type: 'dense', name: 'd', units: 2, activation: 'softmax' }] });
const linuxX64 = process.platform === 'linux' && process.arch === 'x64';

describe('devices', () => {
  test('sessions ask for the one execution provider of their device, with its index', () => {
    expect(executionProviders(undefined)).toEqual(['cpu']);
    expect(executionProviders({ kind: 'cpu' })).toEqual(['cpu']);
    expect(executionProviders({ kind: 'cuda' })).toEqual(['cuda']);
    expect(executionProviders({ kind: 'cuda', index: 1 })).toEqual([{ name: 'cuda', deviceId: 1 }]);
    expect(executionProviders({ kind: 'dml', index: 0 })).toEqual([{ name: 'dml', deviceId: 0 }]);
    expect(executionProviders({ kind: 'coreml' })).toEqual(['coreml']);
  });

  // onnxruntime-node 1.30 for linux-x64 lists CUDA as supported but not bundled: its library is downloaded on request.
  test.runIf(linuxX64)('cuda counts only when its provider library is installed beside the binding', async () => {
    const ort = await requireRuntime();
    const empty = await mkdtemp(join(tmpdir(), 'headstart-binding-'));
    expect(deviceSupport(ort, empty)).toEqual({
      devices: ['cpu'],
      missing: ['cuda: this onnxruntime-node supports it, but libonnxruntime_providers_cuda.so is not installed (docs/gpu.md)'],
    });
    const installed = await mkdtemp(join(tmpdir(), 'headstart-binding-'));
    await writeFile(join(installed, 'libonnxruntime_providers_cuda.so'), '');
    expect(deviceSupport(ort, installed)).toEqual({ devices: ['cpu', 'cuda'], missing: [] });
  });

  test('the probe lists the devices; a model on cpu says nothing of a device', async () => {
    const backend = createOnnxBackend();
    const availability = await backend.probe();
    expect(availability.devices?.[0]).toBe('cpu');
    const model = await backend.onDevice!({ kind: 'cpu' }).createModel(spec);
    expect(model.engine).toBe('onnx/onnxruntime-node');
    model.dispose();
  });

  // No silent fallback: asked for CUDA where it cannot start, creating a model fails in one line; it never runs on the CPU.
  test.runIf(linuxX64)('a model on cuda where CUDA cannot start is refused in one line, not run on the CPU', async () => {
    const availability = await createOnnxBackend().probe();
    if (availability.devices?.includes('cuda')) return; // a machine with CUDA installed: nothing to refuse
    const attempt = createOnnxBackend().onDevice!({ kind: 'cuda', index: 1 }).createModel(spec);
    const error = await attempt.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HeadstartError);
    expect((error as HeadstartError).code).toBe('NOT_SUPPORTED');
    expect((error as Error).message).toMatch(
      /^onnx: device cuda:1: onnxruntime could not start its execution provider \(.*\); see docs\/gpu\.md$/,
    );
    expect((error as Error).message).not.toContain('\n');
  });
});
