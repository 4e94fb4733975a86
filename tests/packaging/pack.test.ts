import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

// What a user gets from the registry: `npm pack` the built core, data, onnx backend and strategies into
// tarballs, install them into an empty project outside the repository (third-party dependencies
// from the npm cache when it has them), and train through the library API there, then type-check
// a TypeScript consumer against the shipped declarations.

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const PACKAGES = ['core', 'data', 'backend-onnx', 'strategies'];
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

let dir: string;
let project: string;
let tarballs: Record<string, string>;

/** The environment without what an enclosing `npm run`/`npm test` sets, so the inner npm acts on its own project. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_(config|package|lifecycle)_/i.test(key) && key !== 'INIT_CWD'),
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-pack-'));
  await mkdir(join(dir, 'tarballs'));
  const packed = await run(
    'npm',
    ['pack', '--json', '--pack-destination', join(dir, 'tarballs'), ...PACKAGES.flatMap((p) => ['--workspace', `packages/${p}`])],
    { cwd: ROOT, env: cleanEnv() },
  );
  const manifests = JSON.parse(packed.stdout) as { name: string; filename: string; files: { path: string }[] }[];
  tarballs = Object.fromEntries(manifests.map((m) => [m.name, join(dir, 'tarballs', m.filename)]));

  project = join(dir, 'project');
  await mkdir(project);
  const dependencies = Object.fromEntries(Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]));
  // A TypeScript project on Node has Node's types (the declarations mention Buffer and node: modules).
  const devDependencies = { '@types/node': '^20.19.0' };
  // onnxruntime-node ships its CPU binaries; its install script would only fetch GPU ones, so it is denied (npm 11's allowScripts).
  const allowScripts = { 'onnxruntime-node': false, protobufjs: false };
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({ name: 'uses-headstart', private: true, type: 'module', dependencies, devDependencies, allowScripts }, null, 2),
  );
  await writeFile(join(project, '.npmrc'), 'audit=false\nfund=false\nupdate-notifier=false\n');
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: project,
    env: cleanEnv(),
    timeout: 120_000,
  });
}, 180_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the packed packages, installed from tarballs into an empty project', () => {
  test('each tarball holds its built code, declarations and sources, and no tests', async () => {
    const packed = await run('npm', ['pack', '--dry-run', '--json', ...PACKAGES.flatMap((p) => ['--workspace', `packages/${p}`])], {
      cwd: ROOT,
      env: cleanEnv(),
    });
    for (const { name, files } of JSON.parse(packed.stdout) as { name: string; files: { path: string }[] }[]) {
      const paths = files.map((f) => f.path);
      expect(paths, name).toContain('dist/index.js');
      expect(paths, name).toContain('dist/index.d.ts');
      expect(paths, name).toContain('src/index.ts');
      expect(
        paths.filter((p) => /\.test\.|__fixtures__/.test(p)),
        name,
      ).toEqual([]);
      const manifest = join(ROOT, 'packages', name.replace('@headstart/', ''), 'package.json');
      // biome-ignore lint/suspicious/noExplicitAny: a package.json's fields, read loosely by a test
      const pkg = JSON.parse(await readFile(manifest, 'utf8')) as Record<string, any>;
      expect(pkg.exports['.'], name).toMatchObject({ types: './dist/index.d.ts', import: './dist/index.js' });
      if (name !== '@headstart/core') expect(pkg.peerDependencies?.['@headstart/core'], `${name} plugs into core as a peer`).toBeDefined();
      if (name === '@headstart/core') expect(paths).toContain('dist/backend-kit/index.js');
    }
  });

  test('core installs no data parsers or image decoders: they come with @headstart/data', async () => {
    const core = JSON.parse(await readFile(join(project, 'node_modules', '@headstart', 'core', 'package.json'), 'utf8')) as Record<
      string,
      Record<string, string>
    >;
    for (const name of ['csv-parse', 'pngjs', 'jpeg-js']) {
      expect(core.dependencies, name).not.toHaveProperty(name);
      const data = JSON.parse(await readFile(join(project, 'node_modules', '@headstart', 'data', 'package.json'), 'utf8')) as Record<
        string,
        Record<string, string>
      >;
      expect(data.dependencies, name).toHaveProperty(name);
    }
  });

  test('they install as real copies, with one @headstart/core shared by the plugins', async () => {
    for (const name of Object.keys(tarballs)) expect((await lstat(join(project, 'node_modules', name))).isSymbolicLink(), name).toBe(false);
    await expect(
      lstat(join(project, 'node_modules', '@headstart', 'backend-onnx', 'node_modules', '@headstart', 'core')),
    ).rejects.toThrow();
    await expect(lstat(join(project, 'node_modules', '@headstart', 'strategies', 'node_modules', '@headstart', 'core'))).rejects.toThrow();
    await expect(lstat(join(project, 'node_modules', '@headstart', 'data', 'node_modules', '@headstart', 'core'))).rejects.toThrow();
    await expect(lstat(join(project, 'node_modules', '@headstart', 'strategies', 'node_modules', '@headstart', 'data'))).rejects.toThrow();
  });

  test('a script trains the digits through the library API and reaches high accuracy', async () => {
    await writeFile(join(project, 'train.mjs'), TRAIN_SCRIPT);
    const { stdout } = await run(process.execPath, ['train.mjs', join(ROOT, 'data', 'digits', 'digits.csv')], {
      cwd: project,
      timeout: 120_000,
    });
    const result = JSON.parse(stdout) as {
      accuracy: number;
      resolved: string;
      engine: string;
      strategies: string[];
      backends: string[];
      labels: unknown[];
      deepImport: string;
    };
    expect(result.resolved).toContain(join(project, 'node_modules', '@headstart', 'core'));
    expect(result.engine).toBe('onnx/onnxruntime-node');
    expect(result.strategies).toEqual([
      'continued',
      'frozen-base',
      'full-retrain',
      'gradual-unfreeze',
      'lora',
      'lp-ft',
      'pretrain-finetune',
    ]);
    expect(result.backends).toEqual(['onnx']);
    expect(result.labels).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.93);
    // Only the `exports` entry points are reachable.
    expect(result.deepImport).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  test('a TypeScript consumer type-checks against the shipped declarations', async () => {
    await writeFile(join(project, 'consumer.ts'), CONSUMER_TS);
    const compilerOptions = {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      types: ['node'],
      lib: ['ES2023'],
    };
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['consumer.ts'] }));
    const checked = await run(process.execPath, [TSC, '-p', project, '--pretty', 'false'], { cwd: project }).catch(
      (error: { stdout: string }) => ({ stdout: error.stdout, failed: true }),
    );
    expect(checked.stdout).toBe('');
    // And a mistake is caught, so the check above means something.
    await writeFile(join(project, 'consumer.ts'), `${CONSUMER_TS}\nconst wrong: Backend = { name: 'x' };\n`);
    const broken = await run(process.execPath, [TSC, '-p', project, '--pretty', 'false'], { cwd: project }).catch(
      (error: { stdout: string }) => ({ stdout: error.stdout }),
    );
    expect(broken.stdout).toMatch(
      /consumer\.ts\(\d+,\d+\): error TS2739: Type '\{ name: string; \}' is missing the following properties from type 'Backend'/,
    );
  });
});

/** Runs in the temporary project: trains with the installed packages only. */
const TRAIN_SCRIPT = `
import { createRng, defaultModelSpec, evaluateClassifier, getRegistry, readCheckpoint, runStrategy } from '@headstart/core';
import { applyPreprocessing, computePreprocessing, loadDataset, registerLoaders, stratifiedSplit } from '@headstart/data';
import '@headstart/backend-onnx';
import { fullRetrain } from '@headstart/strategies';

registerLoaders();

const digits = await loadDataset(process.argv[2]);
const split = stratifiedSplit(digits, 0.2, createRng(3));
const preprocessing = computePreprocessing('scale', split.train, 16);
const registry = getRegistry();
const { backend, availability } = await registry.backend('onnx');
const outcome = await runStrategy({
  strategy: fullRetrain(), options: { epochs: 15 }, backend, engine: availability.engine, data: { train: applyPreprocessing(preprocessing, split.train) },
  preprocessing, spec: defaultModelSpec([64], 10), seed: 1, out: 'digits.safetensors', emit: () => {}, signal: new AbortController().signal,
});
const checkpoint = await readCheckpoint('digits.safetensors');
const model = await backend.createModel(checkpoint.manifest.spec, checkpoint.weights);
const { accuracy } = await evaluateClassifier(model, applyPreprocessing(checkpoint.manifest.preprocessing, split.test), checkpoint.manifest.labels);
let deepImport = 'allowed';
await import('@headstart/core/dist/registry.js').catch((error) => (deepImport = error.code));
console.log(JSON.stringify({
  accuracy, deepImport, labels: checkpoint.manifest.labels, engine: outcome.result.model.engine,
  resolved: import.meta.resolve('@headstart/core'), strategies: registry.names('strategy'), backends: registry.names('backend'),
}));
`;

/** A TypeScript consumer of the public types. */
const CONSUMER_TS = `
import { getRegistry, registerStrategy, trainingOptionsSchema, type Backend, type ModelSpec, type Strategy, type TrainerOptions, type TrainingEvent } from '@headstart/core';
import { createOnnxBackend } from '@headstart/backend-onnx';
import { planTraining, type TrainingPlan } from '@headstart/core/backend-kit';
import { loadDataset, registerLoaders, type LoadDatasetOptions } from '@headstart/data';
import { fullRetrain, type FullRetrainOptions } from '@headstart/strategies';

registerLoaders(getRegistry());
const readCsv = (file: string, load: LoadDatasetOptions) => loadDataset(file, { ...load, format: 'csv' });
const plan = (spec: ModelSpec, trainer: TrainerOptions): TrainingPlan => planTraining(spec, trainer);
const backend: Backend = createOnnxBackend();
const strategy: Strategy<FullRetrainOptions> = fullRetrain();
const options: FullRetrainOptions = trainingOptionsSchema.parse({ epochs: 3 });
registerStrategy('full-retrain', fullRetrain, { source: 'consumer', priority: 1 });
const onEvent = (event: TrainingEvent): string => (event.type === 'epoch-end' ? event.metrics.loss.toFixed(3) : event.type);
export const used = [backend.name, strategy.options, options.lr, getRegistry().names('strategy'), onEvent, readCsv, plan];
`;
