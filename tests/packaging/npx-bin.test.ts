import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

// The README says `npx headstart …` works in the workspace after `npm ci && npm run build`. npm
// links a bin at install time only if its file exists then, so the bin must be a committed file,
// not a build output; otherwise npx fetches whatever the registry serves under that name.
const ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

test('the headstart bin is a committed file, so npm ci links it before anything is built', async () => {
  const pkg = JSON.parse(await readFile(join(ROOT, 'apps', 'cli', 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const bin = join('apps', 'cli', pkg.bin.headstart!);
  const { stdout } = await run('git', ['ls-files', '--error-unmatch', bin], { cwd: ROOT });
  expect(stdout.trim()).toBe(bin);
});

test('npx headstart runs the workspace CLI, never the registry (--no-install)', async () => {
  const { version } = JSON.parse(await readFile(join(ROOT, 'apps', 'cli', 'package.json'), 'utf8')) as { version: string };
  const { stdout } = await run('npx', ['--no-install', 'headstart', '--version'], { cwd: ROOT });
  expect(stdout.trim()).toBe(version);
});
