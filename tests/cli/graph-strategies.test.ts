import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint, type NamedTensors } from '@headstart/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { jsonLines, ROOT, runCli } from './run-cli.js';

/** A ResNet in miniature, torchvision's names: stem, a basic block, a stride-2 block with a downsample shortcut, fc. */
const RESNET = `inputShape: [8, 8, 1]
layers:
  - { type: conv2d, name: conv1, filters: 4, kernelSize: 3, padding: 1, useBias: false }
  - { type: batchNorm, name: bn1 }
  - { type: activation, name: relu, activation: relu }
  - { type: conv2d, name: layer1_0_conv1, filters: 4, kernelSize: 3, padding: 1, useBias: false }
  - { type: batchNorm, name: layer1_0_bn1 }
  - { type: activation, name: layer1_0_relu, activation: relu }
  - { type: conv2d, name: layer1_0_conv2, filters: 4, kernelSize: 3, padding: 1, useBias: false }
  - { type: batchNorm, name: layer1_0_bn2 }
  - { type: add, name: layer1_0_add, inputs: [layer1_0_bn2, relu] }
  - { type: activation, name: layer1_0_relu_1, activation: relu }
  - { type: conv2d, name: layer2_0_conv1, filters: 8, kernelSize: 3, strides: 2, padding: 1, useBias: false }
  - { type: batchNorm, name: layer2_0_bn1 }
  - { type: activation, name: layer2_0_relu, activation: relu }
  - { type: conv2d, name: layer2_0_conv2, filters: 8, kernelSize: 3, padding: 1, useBias: false }
  - { type: batchNorm, name: layer2_0_bn2 }
  - { type: conv2d, name: layer2_0_downsample_0, filters: 8, kernelSize: 1, strides: 2, useBias: false, inputs: [layer1_0_relu_1] }
  - { type: batchNorm, name: layer2_0_downsample_1 }
  - { type: add, name: layer2_0_add, inputs: [layer2_0_bn2, layer2_0_downsample_1] }
  - { type: activation, name: layer2_0_relu_1, activation: relu }
  - { type: globalAvgPool2d, name: avgpool }
  - { type: dense, name: fc, units: 10, activation: softmax }
`;

/** A MobileNetV2 in miniature: stem, an inverted residual block with its shortcut, one without (stride 2), last conv, classifier. */
const MOBILENET = `inputShape: [8, 8, 1]
layers:
  - { type: conv2d, name: features_0_0, filters: 4, kernelSize: 3, padding: 1, useBias: false }
  - { type: batchNorm, name: features_0_1 }
  - { type: activation, name: features_0_2, activation: relu6 }
  - { type: conv2d, name: features_1_conv_0_0, filters: 4, kernelSize: 3, padding: 1, groups: 4, useBias: false }
  - { type: batchNorm, name: features_1_conv_0_1 }
  - { type: activation, name: features_1_conv_0_2, activation: relu6 }
  - { type: conv2d, name: features_1_conv_1, filters: 4, kernelSize: 1, useBias: false }
  - { type: batchNorm, name: features_1_conv_2 }
  - { type: add, name: features_1_add, inputs: [features_1_conv_2, features_0_2] }
  - { type: conv2d, name: features_2_conv_0_0, filters: 8, kernelSize: 1, useBias: false }
  - { type: batchNorm, name: features_2_conv_0_1 }
  - { type: activation, name: features_2_conv_0_2, activation: relu6 }
  - { type: conv2d, name: features_2_conv_1_0, filters: 8, kernelSize: 3, strides: 2, padding: 1, groups: 8, useBias: false }
  - { type: batchNorm, name: features_2_conv_1_1 }
  - { type: activation, name: features_2_conv_1_2, activation: relu6 }
  - { type: conv2d, name: features_2_conv_2, filters: 6, kernelSize: 1, useBias: false }
  - { type: batchNorm, name: features_2_conv_3 }
  - { type: globalAvgPool2d, name: pool }
  - { type: dropout, name: classifier_0, rate: 0.2 }
  - { type: dense, name: classifier_1, units: 10, activation: softmax }
`;

const DIGITS = join(ROOT, 'data', 'digits', 'digits.csv');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-graph-strategies-'));
  await writeFile(join(dir, 'resnet.yaml'), RESNET);
  await writeFile(join(dir, 'mobilenet.yaml'), MOBILENET);
  // pretrain-finetune trains a spec given with --model as written: its head sized for the five classes of new.csv.
  await writeFile(join(dir, 'resnet-5.yaml'), RESNET.replace('name: fc, units: 10', 'name: fc, units: 5'));
  const [header, ...rows] = (await readFile(DIGITS, 'utf8')).trim().split('\n');
  // Pre-training: 300 rows of all ten digits; transfer: 150 later rows of 0-4, so every transfer gets a new 5-class head.
  await writeFile(join(dir, 'source.csv'), `${[header, ...rows.slice(0, 300)].join('\n')}\n`);
  const label = header!.split(',').indexOf('label');
  const few = rows.slice(300).filter((row) => Number(row.split(',')[label]) < 5);
  await writeFile(join(dir, 'new.csv'), `${[header, ...few.slice(0, 150)].join('\n')}\n`);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const train = (args: string[], epochs = 1) =>
  runCli(['train', '--backend', 'onnx', '--scale', '16', '--epochs', String(epochs), '--batch-size', '32', ...args], { cwd: dir });

/** The tensors of `a` and `b` whose names pass `pick`, compared bit for bit: the names that differ. */
function differing(a: NamedTensors, b: NamedTensors, pick: (name: string) => boolean): string[] {
  return [...a.keys()].filter(pick).filter((name) => {
    const [x, y] = [a.get(name)!.data, b.get(name)!.data];
    return x.length !== y.length || x.some((v, i) => !Object.is(v, y[i]));
  });
}

const layerOf = (name: string): string => name.slice(0, name.lastIndexOf('.'));

/** Every built-in strategy, with options that keep each run to an epoch or so. */
const EVERY: [string, string[]][] = [
  ['frozen-base', ['--set', 'cacheFeatures=false']],
  ['frozen-base', []],
  ['continued', ['--set', 'lrMult=0.5']],
  ['lp-ft', ['--set', 'probeEpochs=1']],
  ['gradual-unfreeze', ['--set', 'unfreezeEvery=1']],
  ['pretrain-finetune', ['--set', 'pretrainEpochs=1']],
  ['pretrain-finetune', ['--set', 'pretrainEpochs=1', '--set', 'greedy=true']],
];

describe.each([
  { model: 'resnet', head: 'fc', strategies: EVERY },
  // The ResNet has run every strategy's code path; the MobileNet adds depthwise convolutions and relu6 to train and freeze.
  { model: 'mobilenet', head: 'classifier_1', strategies: EVERY.filter(([s]) => s !== 'pretrain-finetune') },
])('built-in strategies train a $model graph on onnx from the CLI', ({ model, head, strategies }) => {
  const source = () => join(dir, `${model}-source.safetensors`);

  test('full-retrain', async () => {
    const run = await train(['--strategy', 'full-retrain', '--model', `${model}.yaml`, '--data', 'source.csv', '--out', source()]);
    expect(run.stderr).toMatch(/^saved /);
    expect(run.code).toBe(0);
  });

  test.each(strategies)('%s %j', async (strategy, extra) => {
    const out = join(dir, `${model}-${strategy}-${extra.join('')}.safetensors`);
    const from = strategy === 'pretrain-finetune' ? [] : ['--from', source()];
    const args = [
      '--strategy',
      strategy,
      ...from,
      ...(from.length ? [] : ['--model', `${model}-5.yaml`]),
      '--data',
      'new.csv',
      '--out',
      out,
    ];
    // Three epochs of gradual unfreezing: the head, then one block more each epoch.
    const run = await train([...args, ...extra], strategy === 'gradual-unfreeze' ? 3 : 1);
    expect(run.stderr).toMatch(/^saved /m);
    expect(run.code).toBe(0);
    const [before, after] = [await readCheckpoint(source()), await readCheckpoint(out)];
    expect(after.manifest.labels).toEqual([0, 1, 2, 3, 4]);
    expect(after.manifest.spec.layers.map((l) => l.name)).toEqual(before.manifest.spec.layers.map((l) => l.name));
    expect(after.manifest.spec.layers.at(-1)).toMatchObject({ name: head, units: 5 });
    for (const [name, tensor] of after.weights) expect(tensor.data.every(Number.isFinite), name).toBe(true);
    if (strategy === 'frozen-base') {
      // The base, its batch norms' moving statistics included, is the source's to the bit: a frozen batch norm stays in inference mode.
      expect(differing(after.weights, before.weights, (name) => layerOf(name) !== head)).toEqual([]);
      expect([...after.weights.keys()].filter((name) => name.endsWith('.movingMean')).length).toBeGreaterThan(3);
    }
  });

  test('frozen-base trains the same head on cached features as through the whole network: frozen batch norms use their moving statistics', async () => {
    const whole = await readCheckpoint(join(dir, `${model}-frozen-base---setcacheFeatures=false.safetensors`));
    const cached = await readCheckpoint(join(dir, `${model}-frozen-base-.safetensors`));
    const gap = (name: string): number => {
      const [a, b] = [whole.weights.get(name)!.data, cached.weights.get(name)!.data];
      return Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));
    };
    expect(gap(`${head}.kernel`)).toBeLessThan(1e-5);
    expect(gap(`${head}.bias`)).toBeLessThan(1e-5);
  });
});

describe('a graph from the CLI: --head, --dry-run, inspect', () => {
  const source = () => join(dir, 'resnet-source.safetensors');

  test('--head inside a residual block is refused in one line naming the other value crossing; nothing is written', async () => {
    const out = join(dir, 'refused.safetensors');
    const run = await train(['--strategy', 'frozen-base', '--from', source(), '--head', 'layer1_0_bn2', '--data', 'new.csv', '--out', out]);
    expect(run.stderr).toBe(
      'headstart: --head layer1_0_bn2: the head also takes "relu" from the base, besides "layer1_0_conv2"; a head must take one value from the base: try --head layer1_0_conv1 or --head layer1_0_relu_1\n',
    );
    expect(run.code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  test('--head at the start of a block: the block input, shortcut and all, is the head input; the base stays the source to the bit', async () => {
    const out = join(dir, 'head-block.safetensors');
    const run = await train([
      '--strategy',
      'frozen-base',
      '--from',
      source(),
      '--head',
      'layer2_0_conv1',
      '--data',
      'new.csv',
      '--out',
      out,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const [before, after] = [await readCheckpoint(source()), await readCheckpoint(out)];
    const base = new Set(['conv1', 'bn1', 'layer1_0_conv1', 'layer1_0_bn1', 'layer1_0_conv2', 'layer1_0_bn2']);
    expect(differing(after.weights, before.weights, (name) => base.has(layerOf(name)))).toEqual([]);
    expect(differing(after.weights, before.weights, (name) => layerOf(name) === 'layer2_0_conv2')).toEqual(['layer2_0_conv2.kernel']);
    expect(after.manifest.training?.trainable).toContain('layer2_0_downsample_0.kernel');
  });

  test('--dry-run of gradual-unfreeze lists the blocks it unfreezes, top down, with their rates and nodes', async () => {
    const run = await runCli(
      [
        'train',
        '--strategy',
        'gradual-unfreeze',
        '--from',
        source(),
        '--data',
        'new.csv',
        '--scale',
        '16',
        '--backend',
        'onnx',
        '--dry-run',
      ],
      { cwd: dir },
    );
    expect(run.code, run.stderr).toBe(0);
    const messages = jsonLines(run.stdout).flatMap((e) => (e.type === 'log' ? [e.message as string] : []));
    expect(messages).toContain(
      [
        'gradual-unfreeze: 4 layer groups, from the top (each at the rate of the one above × 0.3846):',
        '  1. fc          lr 0.01      fc',
        '  2. layer2_0    lr 0.003846  layer2_0_conv1, layer2_0_bn1, layer2_0_relu, layer2_0_conv2, layer2_0_bn2, layer2_0_downsample_0, layer2_0_downsample_1, layer2_0_add, layer2_0_relu_1, avgpool',
        '  3. layer1_0    lr 0.001479  layer1_0_conv1, layer1_0_bn1, layer1_0_relu, layer1_0_conv2, layer1_0_bn2, layer1_0_add, layer1_0_relu_1',
        '  4. conv1…relu  lr 0.000569  conv1, bn1, relu',
      ].join('\n'),
    );
    const plans = jsonLines(run.stdout).filter((e) => e.type === 'plan') as {
      phase: string;
      parameters: { name: string; trains: boolean }[];
    }[];
    expect(plans.map((p) => p.phase)).toEqual(['unfreeze-1', 'unfreeze-2', 'unfreeze-3', 'unfreeze-4']);
    expect(plans[1]!.parameters.filter((p) => p.trains).map((p) => layerOf(p.name))).toEqual([
      ...['layer2_0_conv1', 'layer2_0_bn1', 'layer2_0_bn1', 'layer2_0_conv2', 'layer2_0_bn2', 'layer2_0_bn2'],
      ...['layer2_0_downsample_0', 'layer2_0_downsample_1', 'layer2_0_downsample_1', 'fc', 'fc'],
    ]);
  });

  test('inspect shows the node table with what each node takes; --json gives the graph', async () => {
    const text = await runCli(['inspect', source()]);
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines).toContain('input [8, 8, 1], a graph of 21 nodes (2 merges); the output is "fc"');
    const row = (name: string) => lines.find((l) => l.startsWith(`${name} `))!.split(/ {2,}/);
    expect(lines.find((l) => l.startsWith('node '))!.split(/ {2,}/)).toEqual(['node', 'type', 'inputs', 'output', 'parameters']);
    expect(row('layer1_0_add')).toEqual(['layer1_0_add', 'add', 'layer1_0_bn2, relu', '[8, 8, 4]', '0']);
    expect(row('layer2_0_downsample_0')).toEqual(['layer2_0_downsample_0', 'conv2d', 'layer1_0_relu_1', '[4, 4, 8]', '32']);
    expect(row('bn1')).toEqual(['bn1', 'batchNorm', 'conv1', '[8, 8, 4]', '16']);

    const json = await runCli(['inspect', source(), '--json']);
    const { graph } = JSON.parse(json.stdout) as {
      graph: {
        inputShape: number[];
        output: string;
        nodes: { name: string; type: string; inputs: string[]; outputShape: number[]; parameters: number }[];
      };
    };
    expect(graph.inputShape).toEqual([8, 8, 1]);
    expect(graph.output).toBe('fc');
    expect(graph.nodes).toHaveLength(21);
    expect(graph.nodes[0]).toEqual({ name: 'conv1', type: 'conv2d', inputs: ['input'], outputShape: [8, 8, 4], parameters: 36 });
    expect(graph.nodes.find((n) => n.name === 'layer2_0_add')).toEqual({
      name: 'layer2_0_add',
      type: 'add',
      inputs: ['layer2_0_bn2', 'layer2_0_downsample_1'],
      outputShape: [4, 4, 8],
      parameters: 0,
    });
  });
});
