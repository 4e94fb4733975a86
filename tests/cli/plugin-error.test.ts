import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ROOT, runCli } from './run-cli.js';

// A project depending on two small third-party backend packages: `flaky`, the onnx backend with a
// trainer whose step fails, and one that registers a second `onnx` at the built-in's priority.
const FLAKY = `
import { registerBackend } from '@headstart/core';
import { createOnnxBackend } from '@headstart/backend-onnx';

const onnx = createOnnxBackend();
registerBackend('flaky', () => ({
  ...onnx,
  name: 'flaky',
  meta: { version: '1.0.0', description: 'onnx with a trainer that fails' },
  async createModel(spec, weights, options) {
    const model = await onnx.createModel(spec, weights, options);
    return {
      spec: model.spec,
      engine: 'flaky/onnx',
      parameters: () => model.parameters(),
      getWeights: () => model.getWeights(),
      setWeights: (w) => model.setWeights(w),
      predict: (x, size) => model.predict(x, size),
      trainer(trainerOptions) {
        const trainer = model.trainer(trainerOptions);
        return {
          async step() { throw new Error('kernel exploded'); },
          evaluate: (batch) => trainer.evaluate(batch),
          getState: () => trainer.getState(),
          setState: (state) => trainer.setState(state),
          dispose: () => trainer.dispose(),
        };
      },
      dispose: () => model.dispose(),
    };
  },
}));
`;

const SECOND_ONNX = `
import { registerBackend } from '@headstart/core';
import { createOnnxBackend } from '@headstart/backend-onnx';

registerBackend('onnx', () => createOnnxBackend());
`;

let project: string;

async function writePackage(name: string, source: string): Promise<void> {
  const dir = join(project, 'node_modules', name);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name, version: '1.0.0', type: 'module', headstart: { backends: './index.js' } }),
  );
  await writeFile(join(dir, 'index.js'), source);
}

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'headstart-plugin-error-'));
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'mine',
      private: true,
      dependencies: { 'headstart-backend-flaky': '1.0.0', 'headstart-backend-second-onnx': '1.0.0' },
    }),
  );
  await mkdir(join(project, 'node_modules'));
  // The plugins import the host's @headstart packages, as a peer dependency would give them.
  await symlink(join(ROOT, 'node_modules', '@headstart'), join(project, 'node_modules', '@headstart'), 'dir');
  await writePackage('headstart-backend-flaky', FLAKY);
  await writePackage('headstart-backend-second-onnx', SECOND_ONNX);
});

afterAll(async () => {
  await rm(project, { recursive: true, force: true });
});

test("a failing backend trainer is reported as the backend's error, not the strategy's", async () => {
  const out = join(project, 'm.safetensors');
  const run = await runCli(
    [
      'train',
      '--backend',
      'flaky',
      '--strategy',
      'full-retrain',
      '--data',
      join(ROOT, 'data/digits/digits.csv'),
      '--epochs',
      '1',
      '--out',
      out,
    ],
    { cwd: project },
  );
  expect(run.code, run.stderr).toBe(1);
  const lines = run.stderr.split('\n');
  expect(lines[0]).toBe('headstart: [backend:flaky] trainer.step: kernel exploded');
  expect(run.stderr).not.toMatch(/strategy:full-retrain/);
  expect(run.stderr.match(/\[backend:flaky\]/g)).toHaveLength(2); // the line and the stack's first line: stamped once each
  expect(existsSync(out)).toBe(false);
});

test('a second backend under a taken name at the same priority is a load error naming both packages', async () => {
  const run = await runCli(['plugins', '--json'], { cwd: project });
  expect(run.code, run.stderr).toBe(0);
  const { plugins, errors } = JSON.parse(run.stdout) as { plugins: { name: string; source: string; status: string }[]; errors: string[] };
  expect(errors).toEqual([
    'plugin headstart-backend-second-onnx: cannot register backend "onnx" from headstart-backend-second-onnx: @headstart/backend-onnx registered it at priority 0 already; register at a higher priority to replace it, or pass override: true',
  ]);
  expect(plugins.filter((p) => p.name === 'onnx')).toMatchObject([{ source: '@headstart/backend-onnx', status: 'active' }]);
  expect(plugins.find((p) => p.name === 'flaky')).toMatchObject({ source: 'headstart-backend-flaky', status: 'active' });
});
