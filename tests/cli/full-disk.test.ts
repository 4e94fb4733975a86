import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint } from '@headstart/core';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { ROOT, runCli } from './run-cli.js';
import { mountTmpfs, TMPFS_SKIP, type Tmpfs } from './tmpfs.js';

// A wide model, so its checkpoints are big enough to fill part of the disk: the final checkpoint
// is about 156 KB, the resumable one (with Adam's state) about 464 KB.
const WIDE =
  'inputShape: [64]\nlayers:\n  - { type: dense, name: enc, units: 512, activation: relu }\n  - { type: dense, name: head, units: 10, activation: softmax }\n';

describe.skipIf(TMPFS_SKIP !== undefined)(
  `a full or read-only disk never costs a good file${TMPFS_SKIP ? ` — skipped: ${TMPFS_SKIP}` : ''}`,
  () => {
    let disk: Tmpfs;
    /** Good files made with room to spare, copied onto the disk before each test. */
    let good: string;
    let spec: string;
    const T = (name: string): string => join(disk.dir, name);
    const train = (out = T('m.safetensors')): string[] => [
      'train',
      '--strategy',
      'full-retrain',
      '--model',
      spec,
      '--data',
      'data/digits/digits.csv',
      '--scale',
      '16',
      '--epochs',
      '2',
      '--checkpoint-every',
      '0',
      '--out',
      out,
    ];

    beforeAll(async () => {
      disk = mountTmpfs(2048);
      good = await mkdtemp(join(tmpdir(), 'headstart-full-disk-'));
      spec = join(good, 'wide.yaml');
      await writeFile(spec, WIDE);
      // Text encoders too, whose tfjs export is a graph model: DistilBERT's is written over BERT's.
      const encoder = (name: string): string => join(ROOT, 'tests/fixtures/torch/encoders', `${name}.opset17.onnx`);
      const prepared = await Promise.all([
        runCli(train(join(good, 'm.safetensors'))),
        runCli(['import', encoder('tiny-distilbert'), '--out', join(good, 'enc.safetensors')]),
        runCli(['import', encoder('tiny-bert'), '--out', join(good, 'bert.safetensors')]),
      ]);
      for (const run of prepared) expect(run.code, run.stderr).toBe(0);
      const made = await Promise.all([
        runCli(['export', join(good, 'm.safetensors'), '--format', 'onnx', '--out', join(good, 'm.onnx')]),
        runCli(['export', join(good, 'm.safetensors'), '--format', 'tfjs', '--out', join(good, 'tfjs')]),
        runCli(['predict', '--model', join(good, 'm.safetensors'), '--data', 'data/digits/digits.csv', '--out', join(good, 'p.csv')]),
        runCli(['export', join(good, 'bert.safetensors'), '--format', 'tfjs', '--out', join(good, 'enc-web')]),
      ]);
      for (const run of made) expect(run.code, run.stderr).toBe(0);
    }, 60_000);
    afterAll(async () => {
      disk?.unmount();
      if (good) await rm(good, { recursive: true, force: true });
    });
    beforeEach(async () => {
      for (const name of await readdir(disk.dir)) await rm(T(name), { recursive: true, force: true });
    });

    /** Copy good files onto the disk, then fill it to leave `free` bytes; their bytes, to compare after. */
    async function setUp(names: string[], free: number): Promise<Map<string, Buffer>> {
      const before = new Map<string, Buffer>();
      for (const name of names) {
        await mkdir(join(T(name), '..'), { recursive: true });
        await copyFile(join(good, name), T(name));
        before.set(name, await readFile(T(name)));
      }
      await disk.leaveFree(free);
      return before;
    }

    async function expectUnchanged(before: Map<string, Buffer>): Promise<void> {
      for (const [name, bytes] of before) expect((await readFile(T(name))).equals(bytes), `${name} changed`).toBe(true);
    }

    /** Every file on the disk, folders walked: no temporary may be among them. */
    async function files(dir = disk.dir, prefix = ''): Promise<string[]> {
      const found: string[] = [];
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) found.push(...(await files(join(dir, entry.name), `${prefix}${entry.name}/`)));
        else found.push(`${prefix}${entry.name}`);
      }
      return found.sort();
    }

    test('train: the final checkpoint does not fit; one line, the good checkpoint unchanged and readable, the resumable one kept', async () => {
      // Room for the resumable checkpoint (464 KB) after epoch 1, not for the final one (156 KB) next to it.
      const before = await setUp(['m.safetensors'], 560_000);
      const run = await runCli(train());
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(`headstart: ${T('m.safetensors')}: cannot write: no space left on the device\n`);
      await expectUnchanged(before);
      const inspected = await runCli(['inspect', T('m.safetensors')]);
      expect(inspected.code, inspected.stderr).toBe(0);
      expect((await readCheckpoint(T('m.resume.safetensors'))).manifest.training?.complete).toBe(false);
      expect(await files()).toEqual(['.filler', 'm.resume.safetensors', 'm.safetensors']);
    }, 30_000);

    test('train: the resumable checkpoint does not fit; one line, the good checkpoint unchanged, no resumable file, short or whole', async () => {
      const before = await setUp(['m.safetensors'], 250_000);
      const run = await runCli(train());
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(`headstart: ${T('m.resume.safetensors')}: cannot write: no space left on the device\n`);
      await expectUnchanged(before);
      expect(await files()).toEqual(['.filler', 'm.safetensors']);
    }, 30_000);

    test('export --format onnx over a good model: one line, the old file unchanged, no temporary', async () => {
      const before = await setUp(['m.safetensors', 'm.onnx'], 40_000);
      const run = await runCli(['export', T('m.safetensors'), '--format', 'onnx', '--out', T('m.onnx')]);
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(`headstart: ${T('m.onnx')}: cannot write: no space left on the device\n`);
      await expectUnchanged(before);
      expect(await files()).toEqual(['.filler', 'm.onnx', 'm.safetensors']);
    }, 30_000);

    test('export --format tfjs over a good export: one line, both old files unchanged, no temporary', async () => {
      const before = await setUp(['m.safetensors', 'tfjs/model.json', 'tfjs/weights.bin'], 40_000);
      const run = await runCli(['export', T('m.safetensors'), '--format', 'tfjs', '--out', T('tfjs')]);
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(`headstart: ${T('tfjs/weights.bin')}: cannot write: no space left on the device\n`);
      await expectUnchanged(before);
      expect(await files()).toEqual(['.filler', 'm.safetensors', 'tfjs/model.json', 'tfjs/weights.bin']);
    }, 30_000);

    test('export --format tfjs of a text encoder (a graph model): its weights fit, its model.json does not; one line, both old files unchanged', async () => {
      // weights.bin takes 7 KB, model.json 33 KB: the first is written aside, the second fails, and neither is renamed.
      const before = await setUp(['enc.safetensors', 'enc-web/model.json', 'enc-web/weights.bin'], 16_384);
      const run = await runCli(['export', T('enc.safetensors'), '--format', 'tfjs', '--out', T('enc-web')]);
      expect([run.code, run.stderr]).toEqual([2, `headstart: ${T('enc-web/model.json')}: cannot write: no space left on the device\n`]);
      await expectUnchanged(before);
      expect(await files()).toEqual(['.filler', 'enc-web/model.json', 'enc-web/weights.bin', 'enc.safetensors']);
    }, 30_000);

    test('predict --out over a good file: one line, the old predictions unchanged, no temporary', async () => {
      // p.csv is about 28 KB.
      const before = await setUp(['m.safetensors', 'p.csv'], 8192);
      const run = await runCli(['predict', '--model', T('m.safetensors'), '--data', 'data/digits/digits.csv', '--out', T('p.csv')]);
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(`headstart: ${T('p.csv')}: cannot write: no space left on the device\n`);
      await expectUnchanged(before);
      expect(await files()).toEqual(['.filler', 'm.safetensors', 'p.csv']);
    }, 30_000);

    test('export --format onnx: a missing folder is created; a folder as --out and a read-only disk are one line each', async () => {
      await setUp(['m.safetensors'], 1_000_000);
      const created = await runCli(['export', T('m.safetensors'), '--format', 'onnx', '--out', T('new/dir/m.onnx')]);
      expect(created.code, created.stderr).toBe(0);
      expect((await readFile(T('new/dir/m.onnx'))).equals(await readFile(join(good, 'm.onnx')))).toBe(true);
      const folder = await runCli(['export', T('m.safetensors'), '--format', 'onnx', '--out', T('new')]);
      expect(folder.code).toBe(2);
      expect(folder.stderr).toBe(`headstart: ${T('new')}: is a directory; expected the name of a file to write\n`);
      const remount = (mode: string): void => expect(spawnSync('mount', ['-o', `remount,${mode}`, disk.dir]).status).toBe(0);
      remount('ro');
      try {
        const readOnly = await runCli(['export', T('m.safetensors'), '--format', 'onnx', '--out', T('ro/m.onnx')]);
        expect(readOnly.code).toBe(2);
        expect(readOnly.stderr).toBe(`headstart: ${T('ro/m.onnx')}: cannot create its directory ${T('ro')}: read-only file system\n`);
      } finally {
        remount('rw');
      }
      expect(await files()).toEqual(['.filler', 'm.safetensors', 'new/dir/m.onnx']);
    }, 30_000);
  },
);
