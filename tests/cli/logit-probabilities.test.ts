import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ROOT, runCli } from './run-cli.js';

// A PyTorch classifier ends in a linear layer: its outputs are logits. predict and evaluate report
// probabilities, so they must softmax them (issue 15, item 4).
const TORCH = join(ROOT, 'tests', 'fixtures', 'torch');
let dir: string;

interface Expected {
  input: { digitsRows: number[] };
  output: { shape: [number, number]; data: number[] };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-logits-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function softmax(row: number[]): number[] {
  const max = Math.max(...row);
  const exp = row.map((v) => Math.exp(v - max));
  const total = exp.reduce((a, b) => a + b, 0);
  return exp.map((v) => v / total);
}

test('predict and evaluate of an imported PyTorch classifier (logits out) give softmax probabilities', async () => {
  const expected = JSON.parse(await readFile(join(TORCH, 'mini-resnet.expected.json'), 'utf8')) as Expected;
  const csv = (await readFile(join(ROOT, 'data', 'digits', 'digits.csv'), 'utf8')).split('\n');
  const rows = expected.input.digitsRows.map((i) => csv[i + 1]!);
  const data = join(dir, 'rows.csv');
  await writeFile(data, `${[csv[0], ...rows].join('\n')}\n`);
  const model = join(dir, 'mini-resnet.safetensors');
  const imported = await runCli([
    'import',
    join(TORCH, 'mini-resnet.opset17.onnx'),
    '--out',
    model,
    '--labels',
    '0,1,2,3,4',
    '--scale',
    '16',
  ]);
  expect(imported.code).toBe(0);

  const predicted = await runCli(['predict', '--model', model, '--data', data]);
  expect(predicted.code).toBe(0);
  const lines = predicted.stdout.trim().split('\n').slice(1);
  const [n, k] = expected.output.shape;
  expect(lines).toHaveLength(n);
  lines.forEach((line, i) => {
    const probabilities = softmax(expected.output.data.slice(i * k, (i + 1) * k));
    const best = probabilities.indexOf(Math.max(...probabilities));
    const [index, label, probability] = line.split(',');
    expect([Number(index), Number(label)]).toEqual([i, best]);
    // Without the softmax this is the raw logit (about 6).
    expect(Number(probability)).toBeCloseTo(probabilities[best]!, 4);
  });

  // evaluate: the rows of the classes the model knows (0-4), cross-entropy of the softmax.
  const known = rows.flatMap((row, i) => (Number(row.split(',').at(-1)) < k ? [i] : []));
  const knownData = join(dir, 'known.csv');
  await writeFile(knownData, `${[csv[0], ...known.map((i) => rows[i])].join('\n')}\n`);
  const evaluated = await runCli(['evaluate', '--model', model, '--data', knownData, '--json']);
  expect(evaluated.code).toBe(0);
  const { loss } = JSON.parse(evaluated.stdout) as { loss: number };
  const crossEntropy =
    known.reduce(
      (sum, i) => sum - Math.log(softmax(expected.output.data.slice(i * k, (i + 1) * k))[Number(rows[i]!.split(',').at(-1))]!),
      0,
    ) / known.length;
  expect(known.length).toBeGreaterThan(5);
  expect(loss).toBeCloseTo(crossEntropy, 3);
});
