import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

// A published package whose `exports` has a `source` condition (and whose declaration maps point
// into src/) must ship the sources it names, without its tests and fixtures.

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

/** The environment without what an enclosing `npm run`/`npm test` sets, so the inner npm acts on its own project. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_(config|package|lifecycle)_/i.test(key) && key !== 'INIT_CWD'),
  );
}

/** Workspace directories of published packages with a `source` export, and the file it names. */
function withSourceExport(): { dir: string; name: string; source: string }[] {
  return ['packages', 'apps'].flatMap((parent) =>
    readdirSync(join(ROOT, parent)).flatMap((child) => {
      const pkg = JSON.parse(readFileSync(join(ROOT, parent, child, 'package.json'), 'utf8')) as {
        name: string;
        private?: boolean | undefined;
        exports?: { '.'?: { source?: string } } | undefined;
      };
      const source = pkg.exports?.['.']?.source;
      return !pkg.private && source ? [{ dir: `${parent}/${child}`, name: pkg.name, source: source.replace(/^\.\//, '') }] : [];
    }),
  );
}

test('every published package with a source export condition packs its src/, and no tests or fixtures', async () => {
  const packages = withSourceExport();
  expect(packages.map((p) => p.name)).toEqual(expect.arrayContaining(['@headstart/cli', '@headstart/conformance', '@headstart/core']));
  const packed = await run('npm', ['pack', '--dry-run', '--json', ...packages.flatMap((p) => ['--workspace', p.dir])], {
    cwd: ROOT,
    env: cleanEnv(),
  });
  const manifests = JSON.parse(packed.stdout) as { name: string; files: { path: string }[] }[];
  for (const { name, source } of packages) {
    const paths = manifests.find((m) => m.name === name)!.files.map((f) => f.path);
    expect(paths, name).toContain(source);
    expect(
      paths.filter((p) => /\.test\.|__fixtures__/.test(p)),
      name,
    ).toEqual([]);
  }
});
