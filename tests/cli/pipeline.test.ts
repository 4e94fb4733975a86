import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { jsonLines, ROOT, runCli } from './run-cli.js';

const DIGITS = join(ROOT, 'data/digits/digits.csv');
const pipelineYaml = (out: string, extra = ''): string => `scale: 16
out: ${out}
seed: 7
stages:
  - { name: pretrain, strategy: full-retrain, data: ${DIGITS}, labels: [0, 1, 2, 3, 4], options: { epochs: 4 } }
  - { name: probe, strategy: frozen-base, data: ${DIGITS}, labels: [5, 6, 7, 8, 9], perClass: 10, options: { epochs: 10 } }
  - { name: finetune, strategy: continued, data: ${DIGITS}, labels: [5, 6, 7, 8, 9], perClass: 10, options: { epochs: 6 } }
${extra}`;

describe('headstart run', () => {
  test('a stage with labels: and val: validates on the same classes of the val file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'headstart-pipeline-val-'));
    const file = join(dir, 'pipeline.yaml');
    await writeFile(file, `scale: 16
out: out
stages:
  - { name: learn, strategy: full-retrain, data: ${DIGITS}, val: ${DIGITS}, labels: [5, 6, 7, 8, 9], options: { epochs: 3 } }
`);
    const run = await runCli(['run', file, '--json'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const end = jsonLines(run.stdout).find((e) => e.type === 'stage-end') as { metrics: { valAccuracy: number } };
    // Validating on the very samples it trained on, over the five kept classes only.
    expect(end.metrics.valAccuracy).toBeGreaterThan(0.9);
  });

  test('three stages run in order; the provenance of the last checkpoint lists every stage; an interrupted pipeline resumes to the same result', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'headstart-pipeline-'));
    const file = join(dir, 'pipeline.yaml');
    await writeFile(file, pipelineYaml('straight'));
    const straight = await runCli(['run', file, '--json']);
    expect(straight.code).toBe(0);
    const events = jsonLines(straight.stdout);
    expect(events.filter((e) => e.type === 'stage-end').map((e) => e.name)).toEqual(['pretrain', 'probe', 'finetune']);
    const final = await readCheckpoint(join(dir, 'straight', '3-finetune.safetensors'));
    expect(final.manifest.provenance.map((p) => p.strategy)).toEqual(['full-retrain', 'frozen-base', 'continued']);
    expect(final.manifest.labels).toEqual([5, 6, 7, 8, 9]);

    await writeFile(file, pipelineYaml('interrupted'));
    let sent = false;
    const cut = await runCli(['run', file, '--json'], {
      onStdout(chunk, child) {
        if (!sent && chunk.includes('"name":"finetune"')) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(cut.code).toBe(130);
    expect(existsSync(join(dir, 'interrupted', '2-probe.safetensors'))).toBe(true);
    expect(existsSync(join(dir, 'interrupted', '3-finetune.safetensors'))).toBe(false);
    const resumed = await runCli(['run', file, '--resume', '--json']);
    expect(resumed.code).toBe(0);
    expect(jsonLines(resumed.stdout).filter((e) => e.type === 'log' && /already finished/.test(String(e.message)))).toHaveLength(2);
    const again = await readCheckpoint(join(dir, 'interrupted', '3-finetune.safetensors'));
    for (const [name, tensor] of final.weights) expect(again.weights.get(name)!.data, name).toEqual(tensor.data);
  });

  test('--dry-run prints each stage\'s plan and writes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'headstart-dry-'));
    const file = join(dir, 'pipeline.yaml');
    await writeFile(file, pipelineYaml('dry'));
    const run = await runCli(['run', file, '--dry-run', '--json']);
    expect(run.code).toBe(0);
    const plans = jsonLines(run.stdout).filter((e) => e.type === 'plan') as { parameters: { name: string; trains: boolean; lr: number }[] }[];
    expect(plans).toHaveLength(3);
    expect(plans[1]!.parameters.map((p) => `${p.name}:${p.trains ? p.lr : 'frozen'}`)).toEqual([
      'enc1.kernel:frozen', 'enc1.bias:frozen', 'enc2.kernel:frozen', 'enc2.bias:frozen', 'head.kernel:0.01', 'head.bias:0.01',
    ]);
    expect(existsSync(join(dir, 'dry'))).toBe(false);
  });

  test.each([
    ['stages:\n  - { name: a, strategy: frozn, data: DIGITS }\n', /^headstart: .*pipeline\.yaml: stages\[0\] "a": strategy: unknown strategy "frozn"; available: .*full-retrain/],
    ['stages:\n  - { name: a, strategy: full-retrain, data: nowhere.csv }\n', /^headstart: .*pipeline\.yaml: stages\[0\] "a": data: .*nowhere\.csv: no such file or directory$/],
    ['stages:\n  - { name: a, strategy: full-retrain, data: DIGITS, options: { epochs: -1 } }\n', /^headstart: .*pipeline\.yaml: stages\[0\] "a": options\.epochs: Too small/],
    ['stages:\n  - { name: a, strategy: full-retrain, data: DIGITS, options: { epoch: 3 } }\n', /^headstart: .*pipeline\.yaml: stages\[0\] "a": options: unknown option "epoch"; its options are epochs, lr, .*$/],
    ['stages:\n  - { name: a, strategy: full-retrain, data: DIGITS, perclass: 3 }\n', /^headstart: .*pipeline\.yaml: stages\[0\] "a": unknown field "perclass"$/],
    ['stages:\n  - { name: a, strategy: frozen-base, data: DIGITS }\n', /^headstart: .*pipeline\.yaml: stages\[0\] "a": strategy: frozen-base starts from a trained model/],
    ['stages: [\n', /^headstart: .*pipeline\.yaml: not valid YAML/],
  ])('an invalid pipeline is refused before training: %j', async (yaml, message) => {
    const dir = await mkdtemp(join(tmpdir(), 'headstart-badpipe-'));
    await writeFile(join(dir, 'pipeline.yaml'), yaml.replaceAll('DIGITS', DIGITS));
    const run = await runCli(['run', join(dir, 'pipeline.yaml')]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(message);
    expect(run.stdout).toBe('');
  });
});
