import { createHash } from 'node:crypto';
import { access, copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint } from '@headstart/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { ROOT, runCli } from './run-cli.js';

// Tiny DistilBERT/BERT-style classifiers exported by torch.onnx.export, and their tokenizer.json
// (tests/fixtures/torch/tiny_encoders.py, README.md there).
const ENCODERS = join(ROOT, 'tests', 'fixtures', 'torch', 'encoders');
const DISTILBERT = join(ENCODERS, 'tiny-distilbert.opset17.onnx');
const TOKENIZER = join(ENCODERS, 'tokenizer.json');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-encoder-import-'));
});

describe('headstart import of a DistilBERT-style ONNX file', () => {
  test('maps it to encoder layers and records the tokenizer.json found beside it; inspect shows the encoder nodes', async () => {
    const ckpt = join(dir, 'distilbert.safetensors');
    const run = await runCli(['import', DISTILBERT, '--out', ckpt]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').slice(1)).toEqual([
      `tokenizer ${TOKENIZER} recorded: 34 tokens, sequences of 8 padded with id 0, text from column "text"`,
      '',
    ]);
    const { manifest } = await readCheckpoint(ckpt);
    const json = await readFile(TOKENIZER, 'utf8');
    expect(manifest.tokenizer).toMatchObject({ kind: 'tokenizer', maxLength: 8, padId: 0, vocabSize: 34, textColumn: 'text', json });
    expect(manifest.tokenizer!.sha256).toBe(createHash('sha256').update(json).digest('hex'));
    expect(manifest.spec.inputs!.map((i) => i.name)).toEqual(['input_ids', 'attention_mask']);

    const table = await runCli(['inspect', ckpt]);
    expect(table.code).toBe(0);
    expect(table.stdout).not.toMatch(/opaque/i);
    expect(table.stdout).toMatch(/^word_embeddings\s+embedding\s+input_ids\s+\[8, 8\]\s+272$/m);
    expect(table.stdout).toMatch(/^position_embeddings\s+positionEmbedding\s+word_embeddings\s+\[8, 8\]\s+128$/m);
    expect(table.stdout).toMatch(/^layer_0_attention\s+attention\s+LayerNorm, attention_mask\s+\[8, 8\]\s+288$/m);
    expect(table.stdout).toMatch(/^layer_1_output_layer_norm\s+layerNorm\s+layer_1_add_1\s+\[8, 8\]\s+16$/m);
    expect(table.stdout).toMatch(/^gather\s+sequencePool\s+layer_1_output_layer_norm\s+\[8\]\s+0$/m);
  });

  test('--tokenizer names the tokenizer and --text-column its column', async () => {
    const lone = join(dir, 'lone');
    await mkdir(lone);
    const model = join(lone, 'model.onnx');
    await copyFile(DISTILBERT, model);
    const ckpt = join(dir, 'given.safetensors');
    const run = await runCli(['import', model, '--out', ckpt, '--tokenizer', TOKENIZER, '--text-column', 'review']);
    expect(run.code).toBe(0);
    expect((await readCheckpoint(ckpt)).manifest.tokenizer).toMatchObject({ textColumn: 'review', maxLength: 8 });
    // Without one, nothing is recorded.
    const bare = join(dir, 'bare.safetensors');
    expect((await runCli(['import', model, '--out', bare])).stdout).not.toMatch(/tokenizer/);
    expect((await readCheckpoint(bare)).manifest.tokenizer).toBeUndefined();
    // A text column with no tokenizer to go with it is refused, not dropped.
    const column = await runCli(['import', model, '--out', join(dir, 'column.safetensors'), '--text-column', 'review']);
    expect(column.code).toBe(2);
    expect(column.stderr).toBe(
      `headstart: --text-column: ${model} records no tokenizer (none given with --tokenizer, no tokenizer.json beside it), and the text column goes with one; give --tokenizer FILE or leave --text-column out\n`,
    );
    await expect(access(join(dir, 'column.safetensors'))).rejects.toThrow();
  });

  test('training from an encoder imported without its tokenizer needs --tokenizer, one that fits its embedding', async () => {
    const bare = join(dir, 'bare-train.safetensors');
    expect((await runCli(['import', join(dir, 'lone', 'model.onnx'), '--out', bare])).code).toBe(0);
    const data = join(dir, 'films.csv');
    await writeFile(
      data,
      `text,label\n${Array.from({ length: 8 }, (_, i) => (i % 2 ? 'a good film,good' : 'a bad movie,bad')).join('\n')}`,
    );
    const out = join(dir, 'tuned.safetensors');
    const train = (...more: string[]) =>
      runCli([
        'train',
        '--strategy',
        'continued',
        '--from',
        bare,
        '--data',
        data,
        '--text-column',
        'text',
        '--epochs',
        '1',
        '--out',
        out,
        ...more,
      ]);
    const without = await train();
    expect(without.code).toBe(2);
    expect(without.stderr).toBe(
      `headstart: --tokenizer: the starting model ${bare} is a text encoder that records no tokenizer; give --tokenizer FILE (the tokenizer.json it was trained with)\n`,
    );
    const roberta = join(ROOT, 'packages', 'data', 'src', '__fixtures__', 'roberta-tiny.tokenizer.json');
    const tooBig = await train('--tokenizer', roberta);
    expect(tooBig.code).toBe(2);
    expect(tooBig.stderr).toMatch(
      new RegExp(
        `^headstart: --tokenizer ${roberta}: has \\d+ tokens, but the starting model's embedding "word_embeddings" has 34 rows: it is not that model's tokenizer\n$`,
      ),
    );
    await expect(access(out)).rejects.toThrow();
    const right = await train('--tokenizer', TOKENIZER, '--max-length', '8');
    expect(right.code, right.stderr).toBe(0);
  });

  test('refuses a tokenizer with more tokens than the embedding has rows, in one line, writing nothing', async () => {
    const ckpt = join(dir, 'wrong-tokenizer.safetensors');
    const roberta = join(ROOT, 'packages', 'data', 'src', '__fixtures__', 'roberta-tiny.tokenizer.json');
    const run = await runCli(['import', DISTILBERT, '--out', ckpt, '--tokenizer', roberta]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `headstart: --tokenizer: ${roberta} has 279 tokens, but the model's embedding "word_embeddings" has 34 rows: it is not this model's tokenizer\n`,
    );
    await expect(readFile(ckpt)).rejects.toThrow(/ENOENT/);
  });

  test('refuses --tokenizer for a model without token inputs, and --scale for one with them', async () => {
    const resnet = join(ROOT, 'tests', 'fixtures', 'torch', 'mini-resnet.opset17.onnx');
    const run = await runCli(['import', resnet, '--out', join(dir, 'resnet.safetensors'), '--tokenizer', TOKENIZER]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'headstart: --tokenizer: the model takes no token ids (it has no named inputs read by an embedding); give a tokenizer only for a text encoder\n',
    );
    const scaled = await runCli(['import', DISTILBERT, '--out', join(dir, 'scaled.safetensors'), '--scale', '16']);
    expect(scaled.code).toBe(2);
    expect(scaled.stderr).toBe(
      `headstart: --scale: ${DISTILBERT} takes token inputs (input_ids, attention_mask), which are not scaled; drop --scale\n`,
    );
    await expect(readFile(join(dir, 'scaled.safetensors'))).rejects.toThrow(/ENOENT/);
  });

  test('never writes over the tokenizer it reads', async () => {
    const beside = join(dir, 'beside');
    await mkdir(beside);
    await copyFile(DISTILBERT, join(beside, 'model.onnx'));
    await copyFile(TOKENIZER, join(beside, 'tokenizer.json'));
    const before = await readFile(join(beside, 'tokenizer.json'));
    const run = await runCli(['import', 'model.onnx', '--out', 'tokenizer.json'], { cwd: beside });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'headstart: --out tokenizer.json is the same file as the tokenizer beside the model tokenizer.json; writing it would destroy the input: choose another --out\n',
    );
    expect((await readFile(join(beside, 'tokenizer.json'))).equals(before)).toBe(true);
  });

  test('refuses a decoder-style causal mask in one line naming the node and the op that makes it', async () => {
    const file = join(ENCODERS, 'tiny-distilbert-causal.opset17.onnx');
    const ckpt = join(dir, 'causal.safetensors');
    const run = await runCli(['import', file, '--out', ckpt]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `headstart: ${file}: node "/layer.0/attention/Add" (op Add) cannot be mapped to a headstart layer: it adds to the attention scores a value that is not a padding mask: "/layer.0/attention/Trilu_output_0" comes from node "/layer.0/attention/Trilu" (op Trilu), not from a padding mask input (a causal or other mask has no headstart layer)\n`,
    );
    await expect(readFile(ckpt)).rejects.toThrow(/ENOENT/);
  });
});
