import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { jsonLines, ROOT, runCli, type CliRun } from './run-cli.js';

const DIGITS = join(ROOT, 'data/digits/digits.csv');
const pipelineYaml = (out: string, extra = ''): string => `scale: 16
out: ${out}
seed: 7
stages:
  - { name: pretrain, strategy: full-retrain, data: ${DIGITS}, labels: [0, 1, 2, 3, 4], options: { epochs: 4 } }
  - { name: probe, strategy: frozen-base, data: ${DIGITS}, labels: [5, 6, 7, 8, 9], perClass: 10, options: { epochs: 10 } }
  - { name: finetune, strategy: continued, data: ${DIGITS}, labels: [5, 6, 7, 8, 9], perClass: 10, options: { epochs: 6 } }
${extra}`;

const sha256 = async (file: string): Promise<string> =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
/** Two one-epoch stages; `first` replaces the first stage's labels and options. */
const shortYaml = (first = 'labels: [0, 1, 2, 3, 4], options: { epochs: 1 }', extra = ''): string => `scale: 16
out: out
seed: 7
stages:
  - { name: pretrain, strategy: full-retrain, data: ${DIGITS}, ${first} }
  - { name: probe, strategy: frozen-base, data: ${DIGITS}, labels: [5, 6, 7, 8, 9], perClass: 10, options: { epochs: 1 } }
${extra}`;

describe('headstart run', () => {
  test('a stage with labels: and val: validates on the same classes of the val file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'headstart-pipeline-val-'));
    const file = join(dir, 'pipeline.yaml');
    await writeFile(
      file,
      `scale: 16
out: out
stages:
  - { name: learn, strategy: full-retrain, data: ${DIGITS}, val: ${DIGITS}, labels: [5, 6, 7, 8, 9], options: { epochs: 3 } }
`,
    );
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
    // The interrupted stage continues only as it was defined.
    await writeFile(file, pipelineYaml('interrupted').replace('options: { epochs: 6 }', 'options: { epochs: 7 }'));
    const changed = await runCli(['run', file, '--resume', '--json']);
    expect(changed.code).toBe(2);
    expect(changed.stderr.trim()).toMatch(
      /pipeline\.yaml: stages\[2\] "finetune": --resume: 3-finetune\.resume\.safetensors was started with another definition \(options\.epochs was 6, now 7\); resume with the stage as it was, or start over: /,
    );
    await writeFile(file, pipelineYaml('interrupted'));
    const resumed = await runCli(['run', file, '--resume', '--json']);
    expect(resumed.code).toBe(0);
    expect(jsonLines(resumed.stdout).filter((e) => e.type === 'log' && /already finished/.test(String(e.message)))).toHaveLength(2);
    const again = await readCheckpoint(join(dir, 'interrupted', '3-finetune.safetensors'));
    for (const [name, tensor] of final.weights) expect(again.weights.get(name)!.data, name).toEqual(tensor.data);
  });

  test('a second run on the same out is refused at once, naming the running one, and leaves its finished stage alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'headstart-pipeline-lock-'));
    const file = join(dir, 'pipeline.yaml');
    await writeFile(
      file,
      `scale: 16
out: out
stages:
  - { name: pretrain, strategy: full-retrain, data: ${DIGITS}, labels: [0, 1, 2, 3, 4], options: { epochs: 1 } }
  - { name: long, strategy: continued, data: ${DIGITS}, labels: [5, 6, 7, 8, 9], options: { epochs: 500 } }
`,
    );
    const stage1 = join(dir, 'out', '1-pretrain.safetensors');
    let seen = '';
    let second: Promise<{ run: CliRun; pid: number; before: string; firstStillRunning: boolean }> | undefined;
    const first = await runCli(['run', file, '--json'], {
      timeoutMs: 300_000,
      onStdout(chunk, child) {
        seen += chunk;
        if (second || !seen.includes('"type":"stage-start","stage":1')) return;
        second = (async () => {
          const before = await sha256(stage1);
          const run = await runCli(['run', file, '--json'], { timeoutMs: 120_000 });
          const firstStillRunning = child.exitCode === null && child.signalCode === null;
          child.kill('SIGINT');
          return { run, pid: child.pid!, before, firstStillRunning };
        })();
      },
    });
    const { run, pid, before, firstStillRunning } = await second!;
    expect(firstStillRunning).toBe(true);
    expect(run.code).toBe(2);
    const state = join(dir, 'out', 'pipeline.json');
    expect(run.stderr.trim()).toBe(
      `headstart: ${state}: another headstart run (process ${pid}) is writing this pipeline's stages (lock ${state}.lock); wait for it, or choose another out`,
    );
    expect(run.stdout).toBe('');
    expect(first.code).toBe(130);
    expect(await sha256(stage1)).toBe(before);
  });

  test('--resume refuses a finished stage whose definition changed, runs a stage appended after the finished ones; a rerun without --resume is refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'headstart-pipeline-identity-'));
    const file = join(dir, 'pipeline.yaml');
    const out = join(dir, 'out');
    // A lock left by a process that died (kill -9) is taken over.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    await mkdir(join(out, 'pipeline.json.lock'), { recursive: true });
    await writeFile(join(out, 'pipeline.json.lock', 'owner.json'), JSON.stringify({ pid: Number(dead.stdout), host: hostname() }));
    await writeFile(file, shortYaml());
    const done = await runCli(['run', file, '--json']);
    expect(done.code, done.stderr).toBe(0);
    const stages = [join(out, '1-pretrain.safetensors'), join(out, '2-probe.safetensors')];
    const shas = await Promise.all(stages.map(sha256));

    const again = await runCli(['run', file, '--json']);
    expect(again.code).toBe(2);
    expect(again.stderr.trim()).toBe(
      `headstart: ${file}: ${out} holds stages of an earlier run (1-pretrain.safetensors, 2-probe.safetensors); continue it with --resume, or start over: delete ${out} or choose another out`,
    );

    await writeFile(file, shortYaml('labels: [0, 1, 2], options: { epochs: 2, lr: 0.05 }'));
    const changed = await runCli(['run', file, '--resume', '--json']);
    expect(changed.code).toBe(2);
    expect(changed.stderr.trim()).toBe(
      `headstart: ${file}: stages[0] "pretrain": --resume: 1-pretrain.safetensors was finished with another definition (labels was [0,1,2,3,4], now [0,1,2]; options.epochs was 1, now 2; options.lr was 0.001, now 0.05); resume with the stage as it was, or start over: delete ${out} or choose another out`,
    );
    expect(changed.stdout).toBe('');
    expect(await Promise.all(stages.map(sha256))).toEqual(shas);

    await writeFile(
      file,
      shortYaml(
        undefined,
        `  - { name: tune, strategy: continued, data: ${DIGITS}, labels: [5, 6, 7, 8, 9], perClass: 10, options: { epochs: 1 } }\n`,
      ),
    );
    const appended = await runCli(['run', file, '--resume', '--json']);
    expect(appended.code, appended.stderr).toBe(0);
    const events = jsonLines(appended.stdout);
    expect(events.filter((e) => e.type === 'log' && /already finished/.test(String(e.message)))).toHaveLength(2);
    expect(events.filter((e) => e.type === 'stage-end').map((e) => e.name)).toEqual(['tune']);
    expect(await Promise.all(stages.map(sha256))).toEqual(shas);
    const tuned = await readCheckpoint(join(out, '3-tune.safetensors'));
    expect(tuned.manifest.provenance.at(-1)!.parent).toBe(shas[1]);

    // A stage's checkpoint deleted under later ones: refused before retraining it, not after.
    await rm(stages[0]!);
    const gap = await runCli(['run', file, '--resume', '--json']);
    expect(gap.code).toBe(2);
    expect(gap.stderr.trim()).toBe(
      `headstart: ${file}: --resume: stages[0] "pretrain" has no checkpoint in ${out} but stages[1] "probe" has one, built on it; put the file back, or start over: delete ${out} or choose another out`,
    );
    expect(gap.stdout).toBe('');
    expect(existsSync(stages[0]!)).toBe(false);
  });

  test("--dry-run prints each stage's plan and writes nothing", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'headstart-dry-'));
    const file = join(dir, 'pipeline.yaml');
    await writeFile(file, pipelineYaml('dry'));
    const run = await runCli(['run', file, '--dry-run', '--json']);
    expect(run.code).toBe(0);
    const plans = jsonLines(run.stdout).filter((e) => e.type === 'plan') as {
      parameters: { name: string; trains: boolean; lr: number }[];
    }[];
    expect(plans).toHaveLength(3);
    expect(plans[1]!.parameters.map((p) => `${p.name}:${p.trains ? p.lr : 'frozen'}`)).toEqual([
      'enc1.kernel:frozen',
      'enc1.bias:frozen',
      'enc2.kernel:frozen',
      'enc2.bias:frozen',
      'head.kernel:0.01',
      'head.bias:0.01',
    ]);
    expect(existsSync(join(dir, 'dry'))).toBe(false);
  });

  test.each([
    [
      'stages:\n  - { name: a, strategy: frozn, data: DIGITS }\n',
      /^headstart: .*pipeline\.yaml: stages\[0\] "a": strategy: unknown strategy "frozn"; available: .*full-retrain/,
    ],
    [
      'stages:\n  - { name: a, strategy: full-retrain, data: nowhere.csv }\n',
      /^headstart: .*pipeline\.yaml: stages\[0\] "a": data: .*nowhere\.csv: no such file or directory$/,
    ],
    [
      'stages:\n  - { name: a, strategy: full-retrain, data: DIGITS, options: { epochs: -1 } }\n',
      /^headstart: .*pipeline\.yaml: stages\[0\] "a": options\.epochs: Too small/,
    ],
    [
      'stages:\n  - { name: a, strategy: full-retrain, data: DIGITS, options: { epoch: 3 } }\n',
      /^headstart: .*pipeline\.yaml: stages\[0\] "a": options: unknown option "epoch"; its options are epochs, lr, .*$/,
    ],
    [
      'stages:\n  - { name: a, strategy: full-retrain, data: DIGITS, perclass: 3 }\n',
      /^headstart: .*pipeline\.yaml: stages\[0\] "a": unknown field "perclass"$/,
    ],
    [
      'stages:\n  - { name: a, strategy: frozen-base, data: DIGITS }\n',
      /^headstart: .*pipeline\.yaml: stages\[0\] "a": strategy: frozen-base starts from a trained model/,
    ],
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
