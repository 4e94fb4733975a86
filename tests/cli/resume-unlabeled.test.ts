import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resumePath } from '@headstart/core';
import { expect, test } from 'vitest';
import { ROOT, runCli } from './run-cli.js';

const DIGITS = join(ROOT, 'data/digits/digits.csv');

const sha256 = async (file: string): Promise<string> =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

test('--resume refuses, in one line, a run whose --unlabeled data changed or went away; the resumable checkpoint is kept', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-resume-unlabeled-'));
  // Unlabelled digits: the pixel columns of the first 300 rows, without the label.
  const [header, ...rows] = (await readFile(DIGITS, 'utf8')).trim().split('\n');
  const label = header!.split(',').indexOf('label');
  const unlabelled = (line: string): string =>
    line
      .split(',')
      .filter((_, i) => i !== label)
      .join(',');
  const unlabeledFile = join(dir, 'unlabeled.csv');
  const lines = [header!, ...rows.slice(0, 300)].map(unlabelled);
  await writeFile(unlabeledFile, `${lines.join('\n')}\n`);
  const out = join(dir, 'model.safetensors');
  const common = ['train', '--strategy', 'pretrain-finetune', '--data', DIGITS, '--scale', '16', '--set', 'pretrainEpochs=3'];
  const args = [...common, '--epochs', '2', '--seed', '3', '--backend', 'onnx', '--out', out, '--json'];

  let sent = false;
  const interrupted = await runCli([...args, '--unlabeled', unlabeledFile], {
    onStdout(chunk, child) {
      if (!sent && chunk.includes('"type":"epoch-end"')) {
        sent = true;
        child.kill('SIGINT');
      }
    },
  });
  expect(interrupted.code, interrupted.stderr).toBe(130);
  const resumable = resumePath(out);
  const before = await sha256(resumable);

  // One pixel of the first unlabelled sample changed; the labelled data and every flag as they were.
  const changedFile = join(dir, 'changed.csv');
  const first = lines[1]!.split(',');
  first[0] = first[0] === '0' ? '1' : '0';
  await writeFile(changedFile, `${[lines[0], first.join(','), ...lines.slice(2)].join('\n')}\n`);
  // One after the other: both take the --out lock, and the second of two at once is refused for that.
  const changed = await runCli([...args, '--unlabeled', changedFile, '--resume']);
  const without = await runCli([...args, '--resume']);
  const refusal = (why: string): string =>
    `headstart: --resume: ${resumable} belongs to another run (${why}); resume with the same flags and data, or delete it to start over\n`;
  expect([changed.code, changed.stderr]).toEqual([2, refusal('its unlabelled samples differ: another or changed --unlabeled data')]);
  expect([without.code, without.stderr]).toEqual([2, refusal('it was trained with unlabelled data (--unlabeled), this run gives none')]);
  expect(await sha256(resumable)).toBe(before);
  expect(existsSync(out)).toBe(false);
});
