import { validateSpec, type Model } from '@headstart/core';
import { expect, test } from 'vitest';
import { createTfjsBackend } from './base.js';

const backend = createTfjsBackend({ note: () => {} });

/** A spec as the onnx backend imports it from an ONNX model with an op headstart has no layer for. */
const spec = validateSpec({
  inputShape: [64],
  layers: [
    { type: 'onnx', name: 'base', inputShape: [64], outputShape: [48], graphBytes: 4, unsupported: { op: 'Sin', node: '/act/Sin' } },
    { type: 'dense', name: 'fc2', units: 10, activation: 'softmax' },
  ],
});
const weights = new Map([['base.graph', { shape: [4], data: Float32Array.of(8, 1, 18, 0) }]]);

test('a model with an opaque ONNX block is refused in one line that names the layer and op and points to the onnx backend', async () => {
  await expect(backend.createModel(spec, weights)).rejects.toThrow(
    /^not supported on tfjs: layer base is an opaque ONNX block \(op Sin\); use --backend onnx$/,
  );
  const standIn = { spec } as Model;
  await expect(backend.exportModel!(standIn, 'tfjs', '/tmp/never-written')).rejects.toThrow(
    'not supported on tfjs: layer base is an opaque ONNX block (op Sin); use --backend onnx',
  );
});
