import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { beforeAll, describe, expect, test } from 'vitest';
import { ROOT, runCli, type CliRun } from './run-cli.js';

// Bad input exits 2 with one line naming the file, the line or field, and what was expected
// (README.md, docs/reliability.md); so does a flag that would be ignored or fail late. Cases already covered elsewhere are not repeated here: a non-numeric CSV cell, a
// label unseen at evaluation, unknown strategy and backend on train (train-evaluate.test.ts),
// pipeline files (pipeline.test.ts), experiment files (compare.test.ts).

const DIGITS = join(ROOT, 'data/digits/digits.csv');
// A run that has not failed by then hangs (a loop over a corrupt header's count, say).
const TIMEOUT_MS = 20_000;

let dir: string;
/** A model of 2 features → cat/dog, trained once. */
let model: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-bad-input-'));
  const data = await write('animals.csv', 'a,b,label\n0,1,cat\n1,0,dog\n0,1,cat\n1,0,dog\n');
  model = join(dir, 'animals.safetensors');
  const trained = await runCli([
    'train',
    '--strategy',
    'full-retrain',
    '--data',
    data,
    '--epochs',
    '1',
    '--val-split',
    '0',
    '--out',
    model,
  ]);
  expect(trained.code, trained.stderr).toBe(0);
});

async function write(name: string, content: string | Buffer): Promise<string> {
  const file = join(dir, name);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, content);
  return file;
}

function run(args: string[]): Promise<CliRun> {
  return runCli(args, { timeoutMs: TIMEOUT_MS });
}

/** Exit 2, exactly one line on stderr, no stack trace, and the line is `headstart: <expected>` (or matches it). */
function expectBadInput(result: CliRun, expected: string | RegExp): void {
  expect(result.signal, `killed: ${result.stderr}`).toBeNull();
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr.split('\n'), result.stderr).toHaveLength(2);
  expect(result.stderr.endsWith('\n')).toBe(true);
  const line = result.stderr.trimEnd();
  if (typeof expected === 'string') expect(line).toBe(`headstart: ${expected}`);
  else expect(line).toMatch(expected);
  expect(result.code).toBe(2);
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** An IDX file: magic (unsigned bytes, rank), big-endian dimensions, then the values. */
function idx(dims: number[], values: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt8(0x08, 2);
  header.writeUInt8(dims.length, 3);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(values)]);
}

/** An 8-bit gray PNG of one level, built by hand (signature, IHDR, IDAT, IEND). */
function png(width: number, height: number, level: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const framed = Buffer.alloc(body.length + 8);
    framed.writeUInt32BE(data.length, 0);
    body.copy(framed, 4);
    framed.writeUInt32BE(crc32(body), body.length + 4);
    return framed;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth; colour type 0 (gray), compression, filter and interlace 0
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width, level)]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', pixels),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('malformed data files', () => {
  test('CSV: a row with fewer cells than the header names the line and the column count', async () => {
    const file = await write('ragged.csv', 'a,b,label\n0,1,cat\n1,0\n');
    expectBadInput(await run(['evaluate', '--model', model, '--data', file]), `${file}, line 3: 2 cells, but the header has 3 columns`);
  });

  test('CSV: an unclosed quote names the file and the line', async () => {
    const file = await write('quote.csv', 'a,b,label\n0,1,cat\n"1,0,dog\n2,2,cat\n');
    expectBadInput(
      await run(['evaluate', '--model', model, '--data', file]),
      `${file}, line 3: not valid CSV: a quoted field opens here and is never closed (a " is missing)`,
    );
  });

  test('JSONL: a line that is not JSON names the line', async () => {
    const file = await write('broken.jsonl', '{"features": [0, 1], "label": "cat"}\n{"features": [1, 0], "label": "dog"\n');
    expectBadInput(
      await run(['evaluate', '--model', model, '--data', file]),
      new RegExp(`^headstart: ${escapeRegExp(file)}, line 2: not valid JSON \\(.+\\)$`),
    );
  });

  test.each([
    [
      'features nested 100000 deep',
      `{"features": ${'['.repeat(100_000)}1${']'.repeat(100_000)}, "label": 1}`,
      'line 1: "features" is nested 100000 lists deep; at most 16 are read',
    ],
    [
      'a label nested 100000 deep',
      `{"features": [1], "label": ${'['.repeat(100_000)}1${']'.repeat(100_000)}}`,
      'line 1: "label" must be a string or a number, found a deeply nested list',
    ],
  ])('JSONL: %s is an error, not a stack overflow', async (_, line, problem) => {
    const file = await write('hostile.jsonl', `${line}\n`);
    expectBadInput(
      await run(['train', '--strategy', 'full-retrain', '--data', file, '--out', join(dir, 'never.safetensors')]),
      `${file}, ${problem}`,
    );
  });

  test('IDX: truncated images name the item where the data ends', async () => {
    const images = await write(
      'mnist/train-images-idx3-ubyte',
      idx(
        [4, 2, 2],
        Array.from({ length: 16 }, (_, i) => i),
      ).subarray(0, 16 + 10),
    );
    await write('mnist/train-labels-idx1-ubyte', idx([4], [0, 1, 0, 1]));
    expectBadInput(
      await run(['train', '--strategy', 'full-retrain', '--data', images, '--out', join(dir, 'never.safetensors')]),
      `${images}: truncated: the header announces 4 items of 4 bytes, but the data ends in item 3`,
    );
  });

  test('IDX: a header announcing 2^32 items of no values is refused at once, not read forever', async () => {
    const unlabeled = await write('empty-items.idx', idx([0xffffffff, 0, 5], []));
    expectBadInput(
      await run([
        'train',
        '--strategy',
        'pretrain-finetune',
        '--data',
        join(dir, 'animals.csv'),
        '--unlabeled',
        unlabeled,
        '--out',
        join(dir, 'never.safetensors'),
      ]),
      `${unlabeled}: the header announces 4294967295 items of shape [0,5], which hold no values`,
    );
  });

  test('images: a file named .png that is not a PNG names the file', async () => {
    await write('pictures/cats/1.png', png(2, 2, 10));
    await write('pictures/dogs/2.png', png(2, 2, 200));
    await write('pictures/dogs/notes.txt', 'not an image, and not named like one: skipped');
    const fake = await write('pictures/dogs/3.png', 'GIF89a, not a PNG');
    expectBadInput(
      await run(['train', '--strategy', 'full-retrain', '--data', join(dir, 'pictures'), '--out', join(dir, 'never.safetensors')]),
      new RegExp(`^headstart: ${escapeRegExp(fake)}: not a readable PNG image \\(.+\\)$`),
    );
  });

  test('images: a PNG whose header claims 20000×20000 pixels is refused before decoding (no gigabytes allocated)', async () => {
    const huge = png(2, 2, 0);
    huge.writeUInt32BE(20000, 16);
    huge.writeUInt32BE(20000, 20);
    huge.writeUInt32BE(crc32(huge.subarray(12, 29)), 29);
    await write('huge/a/1.png', png(2, 2, 0));
    const file = await write('huge/b/2.png', huge);
    expectBadInput(
      await run(['train', '--strategy', 'full-retrain', '--data', join(dir, 'huge'), '--out', join(dir, 'never.safetensors')]),
      `${file}: is 20000×20000 pixels by its header; images over 16777216 pixels (4096×4096) are not read`,
    );
  });
});

describe('numbers float32 cannot hold, or that are not plain decimals', () => {
  const never = (): string => join(dir, 'never.safetensors');

  test.each(['train', 'evaluate', 'predict'])(
    '%s: a CSV cell of 3.4e39 names the line and column (not NaN rows or loss NaN)',
    async (command) => {
      const file = await write('huge.csv', 'a,b,label\n0,1,cat\n1,3.4e39,dog\n');
      const args =
        command === 'train'
          ? ['train', '--strategy', 'full-retrain', '--data', file, '--out', never()]
          : [command, '--model', model, '--data', file];
      expectBadInput(await run(args), `${file}, line 3, column "b": 3.4e39 is beyond the float32 range (±3.4e38)`);
    },
  );

  test('evaluate: a JSONL feature of -1e40 names the line and the position', async () => {
    const file = await write('huge.jsonl', '{"features": [0, 1], "label": "cat"}\n{"features": [-1e40, 0], "label": "dog"}\n');
    expectBadInput(
      await run(['evaluate', '--model', model, '--data', file]),
      `${file}, line 2: features[0]: -1e+40 is beyond the float32 range (±3.4e38)`,
    );
  });

  test('predict: a CSV cell of 0x10 is not read as 16', async () => {
    const file = await write('hex.csv', 'a,b\n0,1\n0x10,0\n');
    const result = await run(['predict', '--model', model, '--data', file]);
    expectBadInput(result, `${file}, line 3, column "a": expected a decimal number (like 16, -0.5 or 1e3), found "0x10"`);
    expect(result.stdout).toBe('');
  });

  test('train: --scale 1e-40 that pushes the features past float32 names the column', async () => {
    expectBadInput(
      await run(['train', '--strategy', 'full-retrain', '--data', join(dir, 'animals.csv'), '--scale', '1e-40', '--out', never()]),
      `${join(dir, 'animals.csv')}, column "b": 1 divided by the scale factor 1e-40 is beyond the float32 range (±3.4e38)`,
    );
  });
});

describe('what would be ignored or fail late is refused at once', () => {
  const never = (): string => join(dir, 'never.safetensors');
  const animals = (): string => join(dir, 'animals.csv');

  test('train: data of a single class', async () => {
    const file = await write('cats.csv', 'a,b,label\n0,1,cat\n1,1,cat\n');
    expectBadInput(
      await run(['train', '--strategy', 'full-retrain', '--data', file, '--out', never()]),
      `${file}: only one class (cat) in the training labels; a classifier needs at least two`,
    );
  });

  test('run: a pipeline stage whose labels select a single class', async () => {
    const file = await write(
      'one-class.yaml',
      `out: ${join(dir, 'one-class')}\nstages:\n  - { name: cats, strategy: full-retrain, data: ${animals()}, labels: [cat] }\n`,
    );
    expectBadInput(
      await run(['run', file, '--dry-run']),
      `${animals()}: only one class (cat) in the training labels; a classifier needs at least two`,
    );
  });

  test('train: an option given both as a flag and with --set, or set twice', async () => {
    expectBadInput(
      await run([
        'train',
        '--strategy',
        'full-retrain',
        '--data',
        DIGITS,
        '--epochs',
        '1',
        '--set',
        'epochs=2',
        '--out',
        join(dir, 'never.safetensors'),
      ]),
      '--set epochs=2: epochs is also given as --epochs; give it once',
    );
    expectBadInput(
      await run([
        'train',
        '--strategy',
        'full-retrain',
        '--data',
        DIGITS,
        '--set',
        'lr=0.1',
        '--set',
        'lr=0.2',
        '--out',
        join(dir, 'never.safetensors'),
      ]),
      '--set lr=0.2: lr is set twice; give it once',
    );
  });

  test('train: --val-split beside --val', async () => {
    expectBadInput(
      await run(['train', '--strategy', 'full-retrain', '--data', animals(), '--val', animals(), '--val-split', '0.2', '--out', never()]),
      '--val-split and --val both choose the validation data (a share of --data, or a file); give one of them',
    );
  });

  test('train: --unlabeled for a strategy that does not use it', async () => {
    expectBadInput(
      await run(['train', '--strategy', 'full-retrain', '--data', animals(), '--unlabeled', animals(), '--out', never()]),
      '--unlabeled: strategy full-retrain does not use unlabelled data; the strategies that do: pretrain-finetune',
    );
  });

  test('train: a --freeze glob that matches no parameter lists some', async () => {
    expectBadInput(
      await run([
        'train',
        '--strategy',
        'continued',
        '--from',
        model,
        '--data',
        animals(),
        '--freeze',
        'encoder.*',
        '--epochs',
        '1',
        '--out',
        never(),
      ]),
      '--freeze encoder.*: matches no trainable parameter; they are enc1.kernel, enc1.bias, enc2.kernel, enc2.bias, head.kernel, head.bias',
    );
  });

  test('train and lr-find: --model beside --from, which already gives the architecture, is refused, not ignored', async () => {
    const spec = await write('spec.yaml', 'inputShape: [2]\nlayers:\n  - { type: dense, name: out, units: 2, activation: softmax }\n');
    const problem = `--model ${spec}: the --from model ${model} already gives the architecture (with its weights); leave --model out, or leave --from out to train ${spec} from scratch`;
    const args = ['--strategy', 'full-retrain', '--from', model, '--model', spec, '--data', animals()];
    const [train, find] = await Promise.all([run(['train', ...args, '--out', never()]), run(['lr-find', ...args])]);
    expectBadInput(train, problem);
    expectBadInput(find, problem);
  });

  test('run: a pipeline with model beside from is refused, not ignored', async () => {
    const spec = await write('spec.yaml', 'inputShape: [2]\nlayers:\n  - { type: dense, name: out, units: 2, activation: softmax }\n');
    const file = await write(
      'from-and-model.yaml',
      `from: ${model}\nmodel: ${spec}\nstages:\n  - { name: a, strategy: full-retrain, data: ${animals()} }\n`,
    );
    expectBadInput(
      await run(['run', file, '--dry-run']),
      `${file}: model: from (${model}) already gives the first stage's architecture (with its weights); leave model out, or leave from out to train ${spec} from scratch`,
    );
  });

  test("train: --input-shape other than the --from model's", async () => {
    expectBadInput(
      await run(['train', '--strategy', 'continued', '--from', model, '--data', animals(), '--input-shape', '2,1', '--out', never()]),
      `--input-shape 2,1: the --from model ${model} fixes the input shape to 2; leave --input-shape out`,
    );
  });

  test.each([
    [['--scale', '0'], '--scale: expected a number > 0, at most 3.4e38 (float32), got "0"'],
    [['--scale', '1e39'], '--scale: expected a number > 0, at most 3.4e38 (float32), got "1e39"'],
    [['--seed', '99999999999999999999'], '--seed: expected a whole number from 0 to 4294967295, got "99999999999999999999"'],
  ])('train %j: says which numbers the flag takes', async (flag, problem) => {
    expectBadInput(await run(['train', '--strategy', 'full-retrain', '--data', animals(), ...flag, '--out', never()]), problem);
  });
});

describe('labels missing or unseen at evaluation', () => {
  test('no label column: names the column looked for and lists the header', async () => {
    const file = await write('no-label.csv', 'a,b,target\n0,1,cat\n');
    expectBadInput(
      await run(['evaluate', '--model', model, '--data', file]),
      `${file}, line 1: no "label" column for the labels; the header has a, b, target`,
    );
  });

  test('--label naming a column the file lacks', async () => {
    const file = join(dir, 'animals.csv');
    expectBadInput(
      await run(['evaluate', '--model', model, '--data', file, '--label', 'species']),
      `${file}, line 1: no "species" column for the labels; the header has a, b, label`,
    );
  });

  test('an empty label cell names the line and column', async () => {
    const file = await write('empty-label.csv', 'a,b,label\n0,1,cat\n1,0,\n');
    expectBadInput(await run(['evaluate', '--model', model, '--data', file]), `${file}, line 3, column "label": the label is empty`);
  });

  test('JSONL: a label the model never saw names the line and the known labels', async () => {
    const file = await write('unseen.jsonl', '{"features": [0, 1], "label": "cat"}\n{"features": [1, 1], "label": "bird"}\n');
    expectBadInput(
      await run(['evaluate', '--model', model, '--data', file]),
      `${file}, line 2: label "bird" is not one of the 2 known labels (cat, dog)`,
    );
  });
});

describe('a checkpoint whose spec does not fit the data', () => {
  // JSONL features have no column names, so the sample shape is all there is to compare (CSV
  // columns are matched by name: feature-columns.test.ts).
  const wide = '{"features": [0, 1, 2], "label": "cat"}\n{"features": [1, 0, 2], "label": "dog"}\n';

  test.each(['evaluate', 'predict'])('%s: three features for a model of two', async (command) => {
    const file = await write('wide.jsonl', wide);
    expectBadInput(
      await run([command, '--model', model, '--data', file]),
      `${file}: sample shape [2] holds 2 values, but each sample has 3`,
    );
  });

  test('train --from: three features for a model of two', async () => {
    const file = await write('wide.jsonl', wide);
    expectBadInput(
      await run(['train', '--strategy', 'continued', '--from', model, '--data', file, '--out', join(dir, 'never.safetensors')]),
      `${file}: sample shape [2] holds 2 values, but each sample has 3`,
    );
  });
});

describe('invalid pipeline and experiment files name the field', () => {
  test.each([
    ['stages: {}\n', 'stages: Invalid input: expected array, received object'],
    ['stages: []\n', 'stages: Too small: expected array to have >=1 items'],
    ['stages:\n  - { strategy: full-retrain, data: DIGITS }\n', 'stages[0]: name: Invalid input: expected string, received undefined'],
    [
      'stages:\n  - { name: a, strategy: full-retrain, data: DIGITS }\n  - { name: a, strategy: continued, data: DIGITS }\n',
      'stages[1] "a": name: already used by an earlier stage',
    ],
    [
      'stages:\n  - { name: a, strategy: full-retrain, data: DIGITS, perClass: 0 }\n',
      'stages[0] "a": perClass: Too small: expected number to be >0',
    ],
    ['42\n', '(file): Invalid input: expected object, received number'],
    [
      'stages:\n  - { name: a, strategy: full-retrain, data: DIGITS, val: DIGITS, valSplit: 0.2 }\n',
      'stages[0] "a": valSplit: val and valSplit both choose the validation data (a file, or a share of data); give one of them',
    ],
    [
      'stages:\n  - { name: a, strategy: full-retrain, data: DIGITS, unlabeled: DIGITS }\n',
      'stages[0] "a": unlabeled: strategy full-retrain does not use unlabelled data',
    ],
    [
      'seed: 4294967296\nstages:\n  - { name: a, strategy: full-retrain, data: DIGITS }\n',
      'seed: Too big: expected number to be <=4294967295',
    ],
  ])('pipeline %j', async (yaml, problem) => {
    const file = await write('pipeline.yaml', yaml.replaceAll('DIGITS', DIGITS));
    const result = await run(['run', file, '--dry-run']);
    expectBadInput(result, `${file}: ${problem}`);
    expect(result.stdout).toBe('');
  });

  const experiment = (extra: string): string => `data: ${DIGITS}\nsource: { labels: [0] }\ntarget: {}\n${extra}`;
  test.each([
    [experiment('strategies: [{ strategy: full-retrain }]\nseeds: [one]\n'), 'seeds[0]: Invalid input: expected number, received string'],
    [experiment('strategies: []\n'), 'strategies: Too small: expected array to have >=1 items'],
    [experiment('strategies: [{ strategy: full-retrain }]\nbackend: tpu\n'), 'unknown field "backend"'],
    [
      experiment('strategies: [{ strategy: full-retrain }]\n').replace(
        'source: { labels: [0] }',
        'source: { labels: [0], from: x.safetensors }',
      ),
      'source: unknown field "from"',
    ],
  ])('experiment %j', async (yaml, problem) => {
    const file = await write('experiment.yaml', yaml);
    expectBadInput(await run(['compare', file, '--out', join(dir, 'report')]), `${file}: ${problem}`);
  });

  test('experiment: YAML that does not parse names the file and the position', async () => {
    const file = await write('broken.yaml', 'data: [\n');
    expectBadInput(
      await run(['compare', file, '--out', join(dir, 'report')]),
      new RegExp(`^headstart: ${escapeRegExp(file)}: not valid YAML: .*line \\d+, column \\d+`),
    );
  });
});

describe('unknown names: the message lists what exists', () => {
  const train = ['train', '--data', 'data/digits/digits.csv', '--epochs', '1', '--out', 'never.safetensors'];

  test('--strategy', async () => {
    expectBadInput(
      await run([...train, '--strategy', 'dora']),
      'unknown strategy "dora"; available: continued, frozen-base, full-retrain, gradual-unfreeze, lora, lp-ft, pretrain-finetune',
    );
  });

  test('--backend on evaluate', async () => {
    expectBadInput(
      await run(['evaluate', '--model', model, '--data', join(dir, 'animals.csv'), '--backend', 'cuda']),
      'unknown backend "cuda"; available: onnx, tfjs',
    );
  });

  test('--set with an option the strategy does not have', async () => {
    expectBadInput(
      await run([...train, '--strategy', 'full-retrain', '--set', 'learningRate=0.1']),
      'strategy full-retrain: unknown option "learningRate"; its options are epochs, lr, batchSize, optimizer, momentum, nesterov, weightDecay, schedule, warmupEpochs, patience, labelSmoothing, classWeights, mixup',
    );
  });

  test('--set with a value outside the choices', async () => {
    expectBadInput(
      await run([...train, '--strategy', 'full-retrain', '--set', 'optimizer=rmsprop']),
      'strategy full-retrain: option optimizer: Invalid option: expected one of "adam"|"adamw"|"sgd"',
    );
  });

  test('--set without a value', async () => {
    expectBadInput(await run([...train, '--strategy', 'full-retrain', '--set', 'lr']), '--set lr: expected key=value');
  });

  test('a mistyped flag or command stays one line, with the suggestion', async () => {
    expectBadInput(
      await run([...train, '--strategy', 'full-retrain', '--epoch', '3']),
      "unknown option '--epoch' (Did you mean --epochs?)",
    );
    expectBadInput(await run(['evaluat']), "unknown command 'evaluat' (Did you mean evaluate?)");
  });
});
