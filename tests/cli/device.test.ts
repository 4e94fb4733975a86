import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { ROOT, runCli } from './run-cli.js';

const DIGITS = join(ROOT, 'data/digits/digits.csv');
const train = (dir: string, ...flags: string[]) =>
  runCli([
    'train',
    '--strategy',
    'full-retrain',
    '--data',
    DIGITS,
    '--scale',
    '16',
    '--epochs',
    '1',
    '--out',
    join(dir, 'm.safetensors'),
    ...flags,
  ]);

// This machine has no GPU, and onnxruntime-node is installed without its CUDA library.
describe('--device', () => {
  test('cuda where onnxruntime cannot use it: one line naming what is available, exit 2, nothing written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'headstart-device-'));
    const run = await train(dir, '--backend', 'onnx', '--device', 'cuda');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'headstart: --device cuda: the onnx backend cannot compute on cuda here (available: cpu); GPU set-up: docs/gpu.md\n',
    );
    expect(existsSync(join(dir, 'm.safetensors'))).toBe(false);
  });

  test('tfjs computes on the CPU only: cuda:1 is refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'headstart-device-'));
    const tfjs = await train(dir, '--backend', 'tfjs', '--device', 'cuda:1');
    expect([tfjs.code, tfjs.stderr]).toEqual([
      2,
      'headstart: --device cuda:1: the tfjs backend cannot compute on cuda here (available: cpu); GPU set-up: docs/gpu.md\n',
    ]);
  });

  test('cpu trains, and the checkpoint records the device', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'headstart-device-'));
    const run = await train(dir, '--backend', 'onnx', '--device', 'cpu', '--json');
    expect(run.code, run.stderr).toBe(0);
    const { manifest } = await readCheckpoint(join(dir, 'm.safetensors'));
    expect(manifest.provenance.at(-1)).toMatchObject({ backend: 'onnx', engine: 'onnxruntime-node', device: 'cpu' });
  });

  test("a pipeline's device: is checked the same way, naming the file", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'headstart-device-'));
    const file = join(dir, 'p.yaml');
    const yaml = (device: string) =>
      `scale: 16\nout: out\ndevice: ${device}\nstages:\n  - { name: a, strategy: full-retrain, data: ${DIGITS}, options: { epochs: 1 } }\n`;
    const other = join(dir, 'q.yaml');
    await Promise.all([writeFile(file, yaml('gpu')), writeFile(other, yaml('cuda:1'))]);
    const [unknown, cuda] = await Promise.all([runCli(['run', file], { cwd: dir }), runCli(['run', other], { cwd: dir })]);
    expect([unknown.code, unknown.stderr]).toEqual([2, `headstart: ${file}: device: expected cpu, cuda, cuda:N, dml, dml:N or coreml\n`]);
    expect([cuda.code, cuda.stderr]).toEqual([
      2,
      `headstart: ${other}: device cuda:1: the onnx backend cannot compute on cuda here (available: cpu); GPU set-up: docs/gpu.md\n`,
    ]);
  });

  test('headstart doctor lists each backend’s devices', async () => {
    const [text, json] = await Promise.all([runCli(['doctor']), runCli(['doctor', '--json'])]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/✔ onnx — engine onnxruntime-node\n(?: {4}.*\n)*? {4}devices: cpu\n/);
    expect(text.stdout).toMatch(/✔ tfjs — engine [^\n]*\n(?: {4}.*\n)*? {4}devices: cpu\n/);
    const onnx = (JSON.parse(json.stdout) as { backends: { name: string; devices?: string[]; reasons: string[] }[] }).backends.find(
      (b) => b.name === 'onnx',
    );
    expect(onnx?.devices).toEqual(['cpu']);
    expect(onnx?.reasons).toContain(
      'cuda: this onnxruntime-node supports it, but libonnxruntime_providers_cuda.so is not installed (docs/gpu.md)',
    );
  });
});
