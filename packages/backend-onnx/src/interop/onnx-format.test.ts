import { expect, test } from 'vitest';
import { opaqueMlp } from '../__fixtures__/opaque-mlp.js';
import { encodeModel } from '../onnx/onnx-proto.js';
import { createOnnxBackend } from '../base.js';
import { looksLikeOnnx, ONNX_FORMAT } from './onnx-format.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

test('the backend declares the onnx format: .onnx, imported and exported', () => {
  expect(createOnnxBackend().formats).toEqual([ONNX_FORMAT]);
  expect(ONNX_FORMAT).toMatchObject({ name: 'onnx', extensions: ['.onnx'], import: true, export: true });
});

test('the sniff accepts a ModelProto, whole or its first bytes only', () => {
  const bytes = encodeModel(opaqueMlp());
  expect(bytes.length).toBeGreaterThan(4096);
  expect(looksLikeOnnx(bytes)).toBe(true);
  expect(looksLikeOnnx(bytes.subarray(0, 4096))).toBe(true);
  expect(looksLikeOnnx(bytes.subarray(0, 3))).toBe(true);
});

test('the sniff refuses JSON, text, an empty file, an unknown ir_version and other protobufs', () => {
  expect(looksLikeOnnx(text('{"modelTopology": {}}'))).toBe(false);
  expect(looksLikeOnnx(text('label,x\n1,2\n'))).toBe(false);
  expect(looksLikeOnnx(new Uint8Array(0))).toBe(false);
  expect(looksLikeOnnx(new Uint8Array([0x08, 0x63, 0x3a, 0x00]))).toBe(false); // ir_version 99
  expect(looksLikeOnnx(new Uint8Array([0x08, 0x08, 0x4a, 0x00]))).toBe(false); // field 9 is not ModelProto's
  expect(looksLikeOnnx(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]))).toBe(false); // a PNG
});
