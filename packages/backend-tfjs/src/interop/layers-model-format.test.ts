import { expect, test } from 'vitest';
import { createTfjsBackend } from '../base.js';
import { LAYERS_MODEL_FORMAT, looksLikeModelJson } from './layers-model-format.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

test('the backend declares the tfjs format: .json or a directory holding model.json, imported and exported', () => {
  expect(createTfjsBackend({ note: () => {} }).formats).toEqual([LAYERS_MODEL_FORMAT]);
  expect(LAYERS_MODEL_FORMAT).toMatchObject({
    name: 'tfjs',
    extensions: ['.json'],
    directoryEntry: 'model.json',
    import: true,
    export: true,
  });
});

test('the sniff accepts a model.json as tfjs and the Keras converter write it, and nothing else', () => {
  expect(looksLikeModelJson(text('{"modelTopology":{"class_name":"Sequential"},"weightsManifest":[]}'))).toBe(true);
  expect(
    looksLikeModelJson(
      text(
        '\uFEFF{\n  "format": "layers-model",\n  "generatedBy": "keras v2.15",\n  "convertedBy": "TensorFlow.js Converter v4",\n  "modelTopology": {',
      ),
    ),
  ).toBe(true);
  expect(looksLikeModelJson(text('{"format":"headstart-plainjs","version":1}'))).toBe(false);
  expect(looksLikeModelJson(text('["modelTopology"]'))).toBe(false);
  expect(looksLikeModelJson(new Uint8Array([0x08, 0x08, 0x12, 0x07]))).toBe(false);
});
