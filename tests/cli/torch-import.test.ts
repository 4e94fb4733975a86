import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint } from '@headstart/core';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, test } from 'vitest';
import { jsonLines, ROOT, runCli, type CliRun } from './run-cli.js';

// A ResNet-style net trained and exported by PyTorch (tests/fixtures/torch/README.md), its logits for
// the first 16 rows of digits.csv in mini-resnet.expected.json.
const ONNX = join(ROOT, 'tests', 'fixtures', 'torch', 'mini-resnet.opset17.onnx');

interface Expected {
  input: { shape: number[]; data: number[] };
  output: { shape: [number, number]; data: number[] };
}

let dir: string;
let ckpt: string;
let rows: string;
let expected: Expected;
let imported: CliRun;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-torch-import-'));
  ckpt = join(dir, 'mini-resnet.safetensors');
  rows = join(dir, 'rows.csv');
  const lines = (await readFile(join(ROOT, 'data', 'digits', 'digits.csv'), 'utf8')).split('\n');
  await writeFile(rows, `${lines.slice(0, 17).join('\n')}\n`);
  expected = JSON.parse(await readFile(join(ROOT, 'tests', 'fixtures', 'torch', 'mini-resnet.expected.json'), 'utf8')) as Expected;
  imported = await runCli(['import', ONNX, '--out', ckpt, '--labels', '0,1,2,3,4', '--scale', '16']);
});

/** Per row: the class with the largest logit, and that logit. */
function best(logits: ArrayLike<number>, classes: number): { label: number; value: number }[] {
  return Array.from({ length: logits.length / classes }, (_, row) => {
    let label = 0;
    for (let k = 1; k < classes; k++) if (logits[row * classes + k]! > logits[row * classes + label]!) label = k;
    return { label, value: logits[row * classes + label]! };
  });
}

describe('headstart import of a PyTorch ResNet-style ONNX file', () => {
  test('maps the residual graph with no opaque block; predict gives PyTorch’s classes and logits (≤ 1e-4)', async () => {
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(new RegExp(`^imported ${ONNX} → ${ckpt} \\(17 layers, sha256 [0-9a-f]{12}…\\)\\n$`));

    const inspected = await runCli(['inspect', ckpt, '--json']);
    expect(inspected.code).toBe(0);
    const { manifest } = JSON.parse(inspected.stdout) as { manifest: { spec: { layers: { type: string; name: string; inputs?: string[] }[] } } };
    expect(manifest.spec.layers.filter((l) => l.type === 'onnx')).toEqual([]);
    expect(manifest.spec.layers.filter((l) => l.type === 'add').map((l) => [l.name, l.inputs])).toEqual([
      ['layer1_0_add', ['layer1_0_conv2', 'conv1']],
      ['layer2_0_add', ['layer2_0_conv2', 'layer2_0_downsample_0']],
      ['layer3_0_add', ['layer3_0_conv2', 'layer3_0_downsample_0']],
    ]);
    const table = await runCli(['inspect', ckpt]);
    expect(table.code).toBe(0);
    // An opaque block shows as a layer of type onnx and as "bytes of opaque ONNX graph" in the header.
    expect(table.stdout).not.toMatch(/opaque/i);
    expect(table.stdout.split('\n').filter((line) => /^\S+\s+onnx\s/.test(line))).toEqual([]);
    expect(table.stdout).toMatch(/^layer1_0_add\s+add\s+\[8, 8, 8\]$/m);

    const out = join(dir, 'predictions.jsonl');
    const predicted = await runCli(['predict', '--model', ckpt, '--data', rows, '--out', out]);
    expect(predicted.stderr).toBe(`wrote 16 predictions to ${out}\n`);
    expect(predicted.code).toBe(0);
    const lines = jsonLines(await readFile(out, 'utf8')) as { index: number; label: number; probability: number }[];
    const want = best(expected.output.data, 5);
    expect(lines.map((l) => l.label)).toEqual(want.map((w) => w.label));
    for (const [i, line] of lines.entries()) expect(Math.abs(line.probability - want[i]!.value), `row ${i}`).toBeLessThan(1e-4);
  });

  test('export --format onnx of the imported graph runs in onnxruntime like PyTorch, and import brings it back bit for bit', async () => {
    expect(imported.code).toBe(0);
    const exported = join(dir, 'exported.onnx');
    const back = join(dir, 'back.safetensors');
    expect((await runCli(['export', ckpt, '--format', 'onnx', '--out', exported])).code).toBe(0);
    const session = await ort.InferenceSession.create(exported);
    // The export takes channels-last input; 1×8×8 images are the same numbers in either layout.
    const x = Float32Array.from(expected.input.data);
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', x, [16, 8, 8, 1]) });
    const got = out[session.outputNames[0]!]!.data as Float32Array;
    expect(Math.max(...got.map((v, i) => Math.abs(v - expected.output.data[i]!)))).toBeLessThan(1e-4);
    await session.release();

    expect((await runCli(['import', exported, '--out', back])).code).toBe(0);
    const [original, reimported] = [await readCheckpoint(ckpt), await readCheckpoint(back)];
    expect(reimported.manifest.spec).toEqual(original.manifest.spec);
    for (const [name, tensor] of original.weights)
      expect(Buffer.from(reimported.weights.get(name)!.data.buffer).equals(Buffer.from(tensor.data.buffer)), name).toBe(true);
  });
});
