import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getRegistry } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { loadPlugins } from './load-plugins.js';

async function project(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-plugins-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

const strategyModule = (name: string): string => `
const core = globalThis[Symbol.for('headstart.registry.v1')];
core.register('strategy', '${name}', () => ({ name: '${name}', meta: { version: '9.9.9', description: 'x' }, options: {}, run: async () => { throw new Error('not here'); } }));
`;

describe('loadPlugins', () => {
  test('finds built-ins, dependencies with a headstart field, and config plugins; a broken one is a warning', async () => {
    const dir = await project({
      'package.json': JSON.stringify({ dependencies: { 'good-plugin': '1.0.0', 'broken-plugin': '1.0.0', 'plain-lib': '1.0.0' } }),
      'node_modules/good-plugin/package.json': JSON.stringify({
        name: 'good-plugin',
        version: '1.2.3',
        type: 'module',
        headstart: { strategies: './index.js' },
      }),
      'node_modules/good-plugin/index.js': strategyModule('from-dependency'),
      'node_modules/broken-plugin/package.json': JSON.stringify({
        name: 'broken-plugin',
        version: '0.1.0',
        type: 'module',
        headstart: { backends: './index.js' },
      }),
      'node_modules/broken-plugin/index.js': "throw new Error('cannot find native module');\n",
      'node_modules/plain-lib/package.json': JSON.stringify({ name: 'plain-lib', version: '1.0.0' }),
      'local/package.json': JSON.stringify({
        name: 'local-plugin',
        version: '0.0.1',
        type: 'module',
        headstart: { strategies: './index.js' },
      }),
      'local/index.js': strategyModule('from-config'),
      'headstart.config.yaml': 'plugins:\n  - ./local\n',
    });
    const report = await loadPlugins(dir);
    expect(report.warnings).toEqual(['plugin broken-plugin: cannot find native module']);
    expect(report.sources.map((s) => `${s.origin}:${s.source}:${s.error ? 'failed' : 'ok'}`)).toEqual([
      'builtin:@headstart/strategies:ok',
      'builtin:@headstart/backend-onnx:ok',
      'builtin:@headstart/backend-tfjs:ok',
      'dependency:broken-plugin:failed',
      'dependency:good-plugin:ok',
      'config:local-plugin:ok',
    ]);
    const entries = getRegistry().list('strategy');
    expect(entries.find((e) => e.name === 'from-dependency')?.source).toBe('good-plugin');
    expect(entries.find((e) => e.name === 'from-config')?.source).toBe('local-plugin');
    expect(entries.find((e) => e.name === 'full-retrain')?.source).toBe('@headstart/strategies');
  });

  test('a plugin whose import never finishes (a loop, a top-level await that never settles) is skipped with a warning', async () => {
    const dir = await project({
      'package.json': JSON.stringify({ dependencies: { looping: '1.0.0', waiting: '1.0.0', fine: '1.0.0' } }),
      'node_modules/looping/package.json': JSON.stringify({ name: 'looping', type: 'module', headstart: { strategies: './index.js' } }),
      'node_modules/looping/index.js': 'while (true) {}\n',
      'node_modules/waiting/package.json': JSON.stringify({ name: 'waiting', type: 'module', headstart: { strategies: './index.js' } }),
      'node_modules/waiting/index.js': 'await new Promise(() => {});\n',
      'node_modules/fine/package.json': JSON.stringify({ name: 'fine', type: 'module', headstart: { strategies: './index.js' } }),
      'node_modules/fine/index.js': strategyModule('after-the-stuck-ones'),
    });
    process.env.HEADSTART_PLUGIN_TIMEOUT_MS = '1000';
    try {
      const report = await loadPlugins(dir);
      expect(report.warnings).toEqual([
        'plugin looping: did not finish loading within 1 s (HEADSTART_PLUGIN_TIMEOUT_MS); skipped',
        'plugin waiting: its import never finished (a top-level await that never settles); skipped',
      ]);
      expect(
        getRegistry()
          .list('strategy')
          .find((e) => e.name === 'after-the-stuck-ones')?.source,
      ).toBe('fine');
    } finally {
      delete process.env.HEADSTART_PLUGIN_TIMEOUT_MS;
    }
  });

  test('a config naming a missing plugin is a warning naming it', async () => {
    const dir = await project({ 'package.json': '{}', 'headstart.config.json': JSON.stringify({ plugins: ['not-installed'] }) });
    const report = await loadPlugins(dir);
    expect(report.warnings).toEqual([`plugin not-installed: cannot find plugin package "not-installed" (from headstart.config in ${dir})`]);
  });

  test('a config that is not valid YAML is a one-line error naming the file', async () => {
    const dir = await project({ 'package.json': '{}', 'headstart.config.yaml': 'plugins: [unclosed\n' });
    await expect(loadPlugins(dir)).rejects.toThrow(new RegExp(`^${join(dir, 'headstart.config.yaml')}: not valid YAML: `));
  });
});
