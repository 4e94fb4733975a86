import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { jsonLines, ROOT, runCli } from './run-cli.js';

// TensorFlow.js costs about a second of CPU to load, so the CLI loads it only for the tfjs backend.
// A module loader hook in the CLI's process notes each TensorFlow.js module actually loaded (the
// `load` hook: merely resolving one, as the tfjs plugin's register entry does, is not loading it).
let dir: string;
let hook: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-lazy-tfjs-'));
  const log = join(dir, 'loaded.log');
  await writeFile(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.includes('/@tensorflow/')) appendFileSync(${JSON.stringify(log)}, url + '\\n');
  return next(url, context);
}
`,
  );
  await writeFile(
    join(dir, 'register.mjs'),
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`,
  );
  hook = ['--import', pathToFileURL(join(dir, 'register.mjs')).href];
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The TensorFlow.js modules the runs so far loaded. */
async function tfjsLoaded(): Promise<string[]> {
  const text = await readFile(join(dir, 'loaded.log'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean);
}

test('an onnx run and a refused run do not load TensorFlow.js; the tfjs backend is still listed', async () => {
  const out = join(dir, 'model.hs');
  const data = join(ROOT, 'data/digits/digits.csv');
  const train = await runCli(['train', '--strategy', 'full-retrain', '--backend', 'onnx', '--data', data, '--epochs', '1', '--out', out], {
    nodeArgs: hook,
  });
  expect(train.code).toBe(0);
  expect(jsonLines(train.stdout).at(-1)).toMatchObject({ type: 'result', checkpoint: out });

  const refused = await runCli(['train', '--strategy', 'full-retrain', '--backend', 'nope', '--data', data], { nodeArgs: hook });
  expect(refused.stderr).toBe('headstart: unknown backend "nope"; available: onnx, tfjs\n');
  expect(refused.code).toBe(2);

  expect(await tfjsLoaded()).toEqual([]);
}, 60_000);

test('doctor loads TensorFlow.js and reports the tfjs backend', async () => {
  const run = await runCli(['doctor', '--json'], { nodeArgs: hook });
  expect(run.code).toBe(0);
  const report = JSON.parse(run.stdout) as { backends: { name: string; available: boolean }[] };
  expect(report.backends.map((b) => [b.name, b.available])).toEqual([
    ['onnx', true],
    ['tfjs', true],
  ]);
  expect((await tfjsLoaded()).some((url) => url.includes('/@tensorflow/tfjs/'))).toBe(true);
}, 60_000);

test('a broken install (TensorFlow.js missing from under the package) still fails on import naming @tensorflow/tfjs, so the CLI warns as before', async () => {
  // The register entry alone, with @headstart/core next to it and no @tensorflow/tfjs anywhere.
  const project = join(dir, 'broken');
  const pkg = join(project, 'node_modules', '@headstart', 'backend-tfjs');
  await mkdir(join(pkg, 'dist'), { recursive: true });
  await copyFile(join(ROOT, 'packages/backend-tfjs/package.json'), join(pkg, 'package.json'));
  await copyFile(join(ROOT, 'packages/backend-tfjs/dist/register.js'), join(pkg, 'dist', 'register.js'));
  await symlink(join(ROOT, 'packages/core'), join(project, 'node_modules', '@headstart', 'core'));
  const script = `import('@headstart/backend-tfjs/register').then(() => console.log('loaded'), (e) => console.log(e.code, e.message.split('\\n')[0]));`;
  const printed = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, encoding: 'utf8' });
  expect(printed).toBe(`ERR_MODULE_NOT_FOUND Cannot find package '@tensorflow/tfjs' imported from ${join(pkg, 'dist', 'register.js')}\n`);
});
