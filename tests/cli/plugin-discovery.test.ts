import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT, type CliRun } from './run-cli.js';
import { spawnCli } from './spawn-cli.js';

// Plugin discovery survives any file it meets on its way (the project's package.json, a plugin's,
// a folder where a file should be) and a plugin that never returns.

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'headstart-discovery-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh folder tree under the test's root with these files (a path ending in `/` is a folder). */
async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(root, 'tree-'));
  for (const [path, text] of Object.entries(files)) {
    if (path.endsWith('/')) await mkdir(join(dir, path), { recursive: true });
    else {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), text);
    }
  }
  return dir;
}

/** A plugin package in node_modules whose strategy entry point is `code`. */
const pluginPackage = (name: string, code: string): Record<string, string> => ({
  [`node_modules/${name}/package.json`]: JSON.stringify({
    name,
    version: '1.0.0',
    type: 'module',
    headstart: { strategies: './index.js' },
  }),
  [`node_modules/${name}/index.js`]: code,
});

const GOOD_PLUGIN = pluginPackage(
  'headstart-strategy-good',
  `const core = globalThis[Symbol.for('headstart.registry.v1')];
core.register('strategy', 'good-one', () => ({ name: 'good-one', meta: { version: '1.0.0', description: 'x' }, options: {}, run: async () => { throw new Error('not here'); } }));
`,
);

function plugins(cwd: string, env: Record<string, string> = {}): Promise<CliRun> {
  return spawnCli(['plugins', '--json'], { cwd, env });
}

function parse(run: CliRun): { names: string[]; errors: string[] } {
  expect(run.code, run.stderr).toBe(0);
  const { plugins: rows, errors } = JSON.parse(run.stdout) as { plugins: { name: string }[]; errors: string[] };
  return { names: rows.map((p) => p.name), errors };
}

describe('a project package.json that is not an object', () => {
  // Where the command runs: in the folder that holds the file, or two folders below it.
  const cases: [string, string, string, string][] = [
    ['null', '.', 'null', 'expected a JSON object, got null'],
    ['[]', 'sub/deeper', '[]', 'expected a JSON object, got an array'],
    ['"x"', 'sub/deeper', '"x"', 'expected a JSON object, got a string'],
    ['invalid JSON', '.', '{"dependencies": {', 'not valid JSON ('],
  ];
  test.each(cases)('holding %s, the command run in ./%s: it works, one warning names the file', async (_, where, content, problem) => {
    const dir = await tree({ 'package.json': content, 'sub/deeper/': '' });
    const { names, errors } = parse(await plugins(join(dir, where)));
    expect(names).toContain('full-retrain');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`${join(dir, 'package.json')}: ${problem}`);
    expect(errors[0]).toMatch(/; plugins among the project's dependencies were not loaded$/);
  });
});

test('a folder named package.json or headstart.config.json is passed over with a note; the real project above is used', async () => {
  const dir = await tree({
    'package.json': JSON.stringify({ name: 'mine', private: true, dependencies: { 'headstart-strategy-good': '1.0.0' } }),
    ...GOOD_PLUGIN,
    'work/package.json/': '',
    'work/headstart.config.json/': '',
  });
  const { names, errors } = parse(await plugins(join(dir, 'work')));
  expect(names).toContain('good-one');
  expect(errors).toEqual([
    `${join(dir, 'work', 'package.json')}: not a file; passed over while looking for the project's package.json`,
    `${join(dir, 'work', 'headstart.config.json')}: not a file; passed over while looking for headstart's config`,
  ]);
});

test('a plugin package whose package.json is not valid JSON is one warning naming the file; the other plugins and the command work', async () => {
  const dir = await tree({
    'package.json': JSON.stringify({
      name: 'mine',
      private: true,
      dependencies: { 'headstart-strategy-good': '1.0.0', 'headstart-strategy-mangled': '1.0.0' },
    }),
    ...GOOD_PLUGIN,
    'node_modules/headstart-strategy-mangled/package.json': '{"name": "headstart-strategy-mangled", ',
  });
  const { names, errors } = parse(await plugins(dir));
  expect(names).toContain('good-one');
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(
    new RegExp(
      `^plugin headstart-strategy-mangled: ${join(dir, 'node_modules', 'headstart-strategy-mangled', 'package.json')}: not valid JSON \\(`,
    ),
  );
});

describe('a plugin that never returns', () => {
  const LIMIT = { HEADSTART_PLUGIN_TIMEOUT_MS: '1000' };

  test('a top-level infinite loop: the command works after the time limit, with one warning naming the plugin and the limit', async () => {
    const dir = await tree({
      'package.json': JSON.stringify({
        name: 'mine',
        private: true,
        dependencies: { 'headstart-strategy-good': '1.0.0', 'headstart-strategy-loop': '1.0.0' },
      }),
      ...GOOD_PLUGIN,
      ...pluginPackage('headstart-strategy-loop', 'while (true) {}\n'),
    });
    const { names, errors } = parse(await spawnCli(['plugins', '--json'], { cwd: dir, env: LIMIT, timeoutMs: 30_000 }));
    expect(names).toContain('good-one');
    expect(errors).toEqual(['plugin headstart-strategy-loop: did not finish loading within 1 s (HEADSTART_PLUGIN_TIMEOUT_MS); skipped']);
  });

  test('SIGTERM while discovery waits for it ends the process at once', async () => {
    const marker = join(root, 'loop-started');
    const dir = await tree({
      'package.json': JSON.stringify({ name: 'mine', private: true, dependencies: { 'headstart-strategy-loop': '1.0.0' } }),
      // Says when it is running, then never returns.
      ...pluginPackage(
        'headstart-strategy-loop',
        `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, '');\nwhile (true) {}\n`,
      ),
    });
    let signalledAt = 0;
    const run = await spawnCli(['plugins', '--json'], {
      cwd: dir,
      env: { HEADSTART_PLUGIN_TIMEOUT_MS: '120000' },
      timeoutMs: 30_000,
      onSpawn: (child) => {
        const poll = setInterval(() => {
          if (!existsSync(marker)) return;
          clearInterval(poll);
          signalledAt = Date.now();
          child.kill('SIGTERM');
        }, 20);
        child.on('exit', () => clearInterval(poll));
      },
    });
    expect(signalledAt).toBeGreaterThan(0);
    expect(Date.now() - signalledAt).toBeLessThan(5_000);
    // Ended by the signal itself (exit status 143 in a shell), not killed by the harness's SIGKILL.
    expect(run.signal).toBe('SIGTERM');
  });

  test('a backend whose probe() never settles: one line naming it and the limit, exit 1, and the process ends', async () => {
    const dir = await tree({
      'package.json': JSON.stringify({ name: 'mine', private: true, dependencies: { 'headstart-backend-stuck': '1.0.0' } }),
      'node_modules/headstart-backend-stuck/package.json': JSON.stringify({
        name: 'headstart-backend-stuck',
        version: '1.0.0',
        type: 'module',
        headstart: { backends: './index.js' },
      }),
      // The probe keeps a timer going, so the process would never end on its own.
      'node_modules/headstart-backend-stuck/index.js': `const core = globalThis[Symbol.for('headstart.registry.v1')];
core.register('backend', 'stuck', () => ({ name: 'stuck', meta: { version: '1.0.0', description: 'x' }, probe: () => new Promise(() => setInterval(() => {}, 1000)), createModel: async () => { throw new Error('not here'); } }));
`,
    });
    const run = await spawnCli(['doctor', '--json'], { cwd: dir, env: LIMIT, timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    const { backends } = JSON.parse(run.stdout) as { backends: { name: string; available: boolean; reasons: string[] }[] };
    expect(backends.find((b) => b.name === 'stuck')).toEqual({
      name: 'stuck',
      available: false,
      reasons: ['backend "stuck": its probe() did not answer within 1 s (HEADSTART_PLUGIN_TIMEOUT_MS)'],
    });

    const train = await spawnCli(
      [
        'train',
        '--strategy',
        'full-retrain',
        '--data',
        join(ROOT, 'data/digits/digits.csv'),
        '--scale',
        '16',
        '--backend',
        'stuck',
        '--dry-run',
      ],
      { cwd: dir, env: LIMIT, timeoutMs: 30_000 },
    );
    expect(train.stderr).toBe('headstart: backend "stuck": its probe() did not answer within 1 s (HEADSTART_PLUGIN_TIMEOUT_MS)\n');
    expect(train.code).toBe(1);
  });
});
