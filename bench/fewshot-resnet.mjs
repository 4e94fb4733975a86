#!/usr/bin/env node
// Few-shot fine-tuning of the PyTorch-trained mini ResNet with headstart's CLI, next to PyTorch's figures for the same
// recipe (issue 14, "Done when"; tests/fixtures/torch/finetune_reference.py and its README).
//
//   node bench/fewshot-resnet.mjs [--backend onnx|tfjs] [--seeds 1,2,3] [--strategies full,frozen-base,scratch] [--json]
//                                 [--defaults] [--extra "--set k=v ..."] [--model resnet|mlp]
//
// What it runs, as a user would (apps/cli/dist/bin.js, built by `npm run build`):
//   headstart import mini-resnet.bn.opset17.onnx --labels 0,1,2,3,4 --scale 16     (the file PyTorch's reference starts from)
//   then per seed, on the 50 rows of fewshot-selection.json (10 per class of digits 5–9, labels kept as 5..9, so the
//   strategies replace the 0–4 head with a new 5-class one), no validation split, batch 32, 100 epochs, Adam:
//     full        → headstart train --strategy continued    --lr 1e-3  (every weight; batch norm in training mode)
//     frozen-base → headstart train --strategy frozen-base  --lr 1e-2  (the head only; batch norm in inference mode)
//     scratch     → headstart train --strategy full-retrain --lr 1e-3  (the same graph, fresh seeded weights)
//   and headstart evaluate on every other row of digits 5–9 (846 rows), as PyTorch's reference does.
// `--defaults` passes none of the recipe's flags (no --val-split, --epochs, --batch-size, --lr): what a user gets who
// gives only the data (issue 15). `--model mlp` runs the same task on the PyTorch MLP of mini_mlp.py (mini-mlp.onnx,
// its reference in mini-mlp.fewshot-reference.json: `full` and `frozen-base` only). `--extra` appends flags to every `train` (for trying candidates).
// PyTorch's `full-bn-frozen` (every weight, batch norm kept in inference mode) has no one-flag headstart equivalent
// and is left out. Initial weights of new heads and the shuffle order are headstart's own (seeded), not PyTorch's.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = join(ROOT, 'tests', 'fixtures', 'torch');
const CLI = join(ROOT, 'apps', 'cli', 'dist', 'bin.js');

/** PyTorch strategy name → headstart's strategy and the reference's learning rate. */
const STRATEGIES = {
  full: { strategy: 'continued', lr: 1e-3 },
  'frozen-base': { strategy: 'frozen-base', lr: 1e-2 },
  scratch: { strategy: 'full-retrain', lr: 1e-3 },
};

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'onnx' },
    seeds: { type: 'string' },
    strategies: { type: 'string', default: Object.keys(STRATEGIES).join(',') },
    json: { type: 'boolean' },
    defaults: { type: 'boolean' },
    extra: { type: 'string' },
    model: { type: 'string', default: 'resnet' },
  },
});

const selection = JSON.parse(readFileSync(join(FIXTURES, 'fewshot-selection.json'), 'utf8'));
const REFERENCES = { resnet: 'fewshot-reference.json', mlp: 'mini-mlp.fewshot-reference.json' };
if (!REFERENCES[values.model]) throw new Error(`--model: expected resnet or mlp, got "${values.model}"`);
const reference = JSON.parse(readFileSync(join(FIXTURES, REFERENCES[values.model]), 'utf8'));
const { epochs, batch } = reference.recipe;
const seeds = values.seeds ? values.seeds.split(',') : Object.keys(selection.seeds);
const strategies = values.strategies.split(',');
for (const s of strategies)
  if (!STRATEGIES[s]) throw new Error(`--strategies: unknown "${s}"; known: ${Object.keys(STRATEGIES).join(', ')}`);

/** Runs the CLI; returns stdout, or throws with its last stderr line. */
function cli(args) {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error((run.stderr || run.stdout).trim().split('\n').pop());
  return run.stdout;
}

/** digits.csv split into its header and data rows (0-based as in fewshot-selection.json). */
function digits() {
  const [header, ...rows] = readFileSync(join(ROOT, selection.data), 'utf8').trim().split('\n');
  const label = header.split(',').indexOf('label');
  return { header, rows, labelOf: (row) => Number(row.split(',')[label]) };
}

/** The imported base: its layer types (an `onnx` layer is an opaque block). */
function importBase(dir) {
  const base = join(dir, 'base.safetensors');
  cli(['import', join(FIXTURES, reference.pretrained), '--out', base, '--labels', '0,1,2,3,4', '--scale', '16']);
  const spec = JSON.parse(cli(['inspect', base, '--json'])).manifest.spec;
  const types = {};
  for (const layer of spec.layers) types[layer.type] = (types[layer.type] ?? 0) + 1;
  return { base, types, opaque: types.onnx > 0 };
}

function trainAndEvaluate(dir, base, name, seed, trainCsv, testCsv) {
  const { strategy, lr } = STRATEGIES[name];
  const out = join(dir, `${name}-${seed}.safetensors`);
  const recipe = ['--val-split', '0', '--epochs', String(epochs), '--batch-size', String(batch), '--lr', String(lr)];
  const extra = values.extra ? values.extra.split(' ').filter(Boolean) : [];
  const started = performance.now();
  cli([
    'train',
    '--strategy',
    strategy,
    '--from',
    base,
    '--data',
    trainCsv,
    '--backend',
    values.backend,
    ...(values.defaults ? [] : recipe),
    ...extra,
    '--seed',
    String(seed),
    '--out',
    out,
    '--checkpoint-every',
    '0',
  ]);
  const seconds = (performance.now() - started) / 1000;
  const evaluation = JSON.parse(cli(['evaluate', '--model', out, '--data', testCsv, '--backend', values.backend, '--json']));
  return { accuracy: evaluation.accuracy, seconds };
}

function main() {
  const dir = mkdtempSync(join(os.tmpdir(), 'headstart-fewshot-'));
  try {
    const { header, rows, labelOf } = digits();
    const { base, types, opaque } = importBase(dir);
    const results = Object.fromEntries(strategies.map((s) => [s, {}]));
    for (const seed of seeds) {
      const train = new Set(selection.seeds[seed].trainRows);
      const test = rows.filter((row, i) => !train.has(i) && selection.classes.includes(labelOf(row)));
      if (test.length !== selection.seeds[seed].testRowCount)
        throw new Error(`seed ${seed}: ${test.length} test rows, the selection says ${selection.seeds[seed].testRowCount}`);
      const trainCsv = join(dir, `train-${seed}.csv`);
      const testCsv = join(dir, `test-${seed}.csv`);
      writeFileSync(trainCsv, `${[header, ...[...train].map((i) => rows[i])].join('\n')}\n`);
      writeFileSync(testCsv, `${[header, ...test].join('\n')}\n`);
      for (const name of strategies) {
        try {
          results[name][seed] = trainAndEvaluate(dir, base, name, seed, trainCsv, testCsv);
        } catch (error) {
          results[name][seed] = { error: error.message };
        }
        if (!values.json) console.error(`seed ${seed} ${name}: ${JSON.stringify(results[name][seed])}`);
      }
    }
    report(results, types, opaque);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function mean(values) {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : undefined;
}

function report(results, types, opaque) {
  const rows = strategies.map((name) => {
    const runs = seeds.map((seed) => results[name][seed]);
    const accuracies = runs.filter((r) => r.accuracy !== undefined).map((r) => r.accuracy);
    return {
      strategy: name,
      headstart: STRATEGIES[name].strategy,
      lr: values.defaults ? 'defaults' : STRATEGIES[name].lr,
      backend: values.backend,
      bySeed: Object.fromEntries(seeds.map((seed) => [seed, results[name][seed]])),
      mean: accuracies.length === runs.length ? mean(accuracies) : undefined,
      pytorch: reference.accuracy[name],
    };
  });
  if (values.json) {
    console.log(JSON.stringify({ imported: types, opaqueBlock: opaque, rows }));
    return;
  }
  console.log(
    `\nimported ${reference.pretrained}: ${Object.entries(types)
      .map(([t, n]) => `${t} ×${n}`)
      .join(', ')}${opaque ? ' — HAS AN OPAQUE BLOCK' : ' (no opaque block)'}`,
  );
  const seedColumns = seeds.map((s) => `seed ${s}`);
  console.log(
    `\n| strategy (PyTorch → headstart) | lr | ${seedColumns.join(' | ')} | headstart mean | PyTorch ${seedColumns.join(' | PyTorch ')} | PyTorch mean | difference |`,
  );
  console.log(`| --- | ---: | ${seeds.map(() => '---:').join(' | ')} | ---: | ${seeds.map(() => '---:').join(' | ')} | ---: | ---: |`);
  for (const r of rows) {
    const cells = seeds.map((seed) => {
      const run = r.bySeed[seed];
      return run.accuracy !== undefined ? run.accuracy.toFixed(4) : `error: ${run.error}`;
    });
    const torch = seeds.map((seed) => r.pytorch?.[seed]?.toFixed(4) ?? '-');
    const difference = r.mean !== undefined && r.pytorch ? (r.mean - r.pytorch.mean).toFixed(4) : '-';
    console.log(
      `| ${r.strategy} → ${r.headstart} (${r.backend}) | ${r.lr}${values.extra ? ` ${values.extra}` : ''} | ${cells.join(' | ')} | ${r.mean?.toFixed(4) ?? '-'} | ${torch.join(' | ')} | ${r.pytorch?.mean.toFixed(4) ?? '-'} | ${difference} |`,
    );
  }
}

main();
