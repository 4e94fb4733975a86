import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ROOT, runCli } from './run-cli.js';

const digits = join(ROOT, 'data', 'digits', 'digits.csv');

async function project(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-badmodel-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

test('a --model whose inputShape does not fit the data is refused before training, naming the file', async () => {
  const cwd = await project({ 'm.yaml': 'inputShape: [10]\nlayers:\n  - { type: dense, name: out, units: 10, activation: softmax }\n' });
  const run = await runCli(
    ['train', '--strategy', 'full-retrain', '--data', digits, '--model', 'm.yaml', '--out', 'x.safetensors', '--json'],
    { cwd },
  );
  expect(run.code).toBe(2);
  expect(run.stderr).toBe(
    'headstart: m.yaml: inputShape [10] does not fit the data, whose samples have shape [64] (64 values); fix inputShape or give --input-shape\n',
  );
  expect(run.stdout).not.toContain('"type":"step"');
});

test('a --model without a dense layer to hold the classes is one clear line', async () => {
  const cwd = await project({ 'm.yaml': 'inputShape: [64]\nlayers:\n  - { type: activation, name: a, activation: relu }\n' });
  const run = await runCli(['train', '--strategy', 'full-retrain', '--data', digits, '--model', 'm.yaml', '--out', 'x.safetensors'], {
    cwd,
  });
  expect(run.code).toBe(2);
  expect(run.stderr).toBe(
    'headstart: model has no dense layer to size to the 10 classes; end it in a dense layer with a softmax activation\n',
  );
});

test('a malformed package.json in the project is named, not a stack trace', async () => {
  const cwd = await project({ 'package.json': '{bad' });
  const run = await runCli(['plugins'], { cwd });
  expect(run.code).toBe(2);
  // JSON.parse's own wording varies between Node versions.
  expect(run.stderr).toMatch(
    new RegExp(`^headstart: ${join(cwd, 'package.json')}: not valid JSON \\(.+\\); headstart reads it to find plugin packages\n$`),
  );
});
