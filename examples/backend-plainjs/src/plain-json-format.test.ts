import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { createPlainJsBackend } from './base.js';
import { PLAIN_JSON_FORMAT } from './plain-json-format.js';

const SPEC = { inputShape: [3], layers: [{ type: 'dense', name: 'out', units: 2, activation: 'softmax', useBias: true }] } as const;
const backend = createPlainJsBackend();

test('plainjs declares its plainjs-json format, and the sniff knows it from the first bytes', () => {
  expect(backend.formats).toEqual([PLAIN_JSON_FORMAT]);
  expect(PLAIN_JSON_FORMAT).toMatchObject({ name: 'plainjs-json', extensions: ['.plain.json'], import: true, export: true });
  const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
  expect(PLAIN_JSON_FORMAT.sniff(bytes('{"format":"headstart-plainjs","version":1,"spec":'))).toBe(true);
  expect(PLAIN_JSON_FORMAT.sniff(bytes('{"modelTopology":{},"format":"headstart-plainjs"}'))).toBe(false);
});

test('export then import gives the spec and bit-identical weights, negative zero included', async () => {
  const file = join(await mkdtemp(join(tmpdir(), 'plainjs-json-')), 'm.plain.json');
  const weights = new Map([
    ['out.kernel', { shape: [3, 2], data: Float32Array.from([-0, 1e-45, -3.4e38, 0.1, 2, -7]) }],
    ['out.bias', { shape: [2], data: Float32Array.from([0.5, -0.25]) }],
  ]);
  const model = await backend.createModel(SPEC as never, weights);
  await backend.exportModel!(model, 'plainjs-json', file);
  const back = await backend.importModel!(file);
  expect(back.spec).toEqual(model.spec);
  for (const [name, tensor] of weights) expect(Buffer.from(back.weights.get(name)!.data.buffer)).toEqual(Buffer.from(tensor.data.buffer));
  expect(Object.is(back.weights.get('out.kernel')!.data[0], -0)).toBe(true);
});

test('a file missing a weight is refused naming the file and the weight, not filled with fresh weights', async () => {
  const file = join(await mkdtemp(join(tmpdir(), 'plainjs-json-')), 'm.plain.json');
  await backend.exportModel!(await backend.createModel(SPEC as never), 'plainjs-json', file);
  const json = JSON.parse(await readFile(file, 'utf8')) as { weights: Record<string, unknown> };
  delete json.weights['out.bias'];
  await writeFile(file, JSON.stringify(json));
  await expect(backend.importModel!(file)).rejects.toThrow(
    `${file}: weights."out.bias" needs a "shape" array and a "float32" base64 string; expected a plainjs-json model (headstart export --format plainjs-json)`,
  );
});

test('another format name is refused', async () => {
  await expect(backend.exportModel!(await backend.createModel(SPEC as never), 'onnx', 'x.onnx')).rejects.toThrow(
    'the plainjs backend exports format "plainjs-json", not "onnx"',
  );
});
