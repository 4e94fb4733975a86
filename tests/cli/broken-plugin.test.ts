import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { jsonLines, ROOT, runCli } from './run-cli.js';

// A project depending on a plugin package whose strategy entry point throws when imported.
let project: string;

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'headstart-broken-plugin-'));
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({ name: 'mine', private: true, dependencies: { 'headstart-strategy-broken': '1.0.0' } }),
  );
  const pkg = join(project, 'node_modules', 'headstart-strategy-broken');
  await mkdir(pkg, { recursive: true });
  await writeFile(
    join(pkg, 'package.json'),
    JSON.stringify({ name: 'headstart-strategy-broken', version: '1.0.0', type: 'module', headstart: { strategies: './index.js' } }),
  );
  await writeFile(join(pkg, 'index.js'), "throw new Error('this plugin is broken');\n");
});

afterAll(async () => {
  await rm(project, { recursive: true, force: true });
});

test('plugins --json reports the broken plugin as a load error and lists the rest', async () => {
  const run = await runCli(['plugins', '--json'], { cwd: project });
  expect(run.code).toBe(0);
  const { plugins, errors } = JSON.parse(run.stdout) as { plugins: { name: string }[]; errors: string[] };
  expect(plugins.map((p) => p.name)).toContain('full-retrain');
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(/headstart-strategy-broken.*this plugin is broken/);
});

test('training still works, with one warning naming the broken plugin', async () => {
  const out = join(project, 'm.safetensors');
  const run = await runCli(
    ['train', '--strategy', 'full-retrain', '--data', join(ROOT, 'data/digits/digits.csv'), '--epochs', '1', '--out', out, '--json'],
    { cwd: project },
  );
  expect(run.code, run.stderr).toBe(0);
  const warnings = jsonLines(run.stdout).filter((e) => e.type === 'log' && e.level === 'warn');
  expect(warnings).toHaveLength(1);
  expect(String(warnings[0]!.message)).toMatch(/headstart-strategy-broken.*this plugin is broken/);
});
