import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { isNotInstalled } from './optional-builtins.js';

const dir = await mkdtemp(join(tmpdir(), 'headstart-optional-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** What importing `specifier` from a module in `dir` throws. */
async function importError(specifier: string): Promise<unknown> {
  const file = join(dir, `importer-${Math.random().toString(36).slice(2)}.mjs`);
  await writeFile(file, `export default await import(${JSON.stringify(specifier)});\n`);
  return import(pathToFileURL(file).href).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('isNotInstalled', () => {
  test('is true when the package itself cannot be found', async () => {
    expect(isNotInstalled('@headstart/not-a-package', await importError('@headstart/not-a-package'))).toBe(true);
  });

  test('is false when something the package imports is missing (a broken install stays a warning)', async () => {
    // The package is found; a dependency of it is not, as when @tensorflow/tfjs was removed from under backend-tfjs.
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'optional-test', type: 'module' }));
    const broken = join(dir, 'broken.mjs');
    await writeFile(broken, "import '@tensorflow/not-installed-here';\n");
    const error = await import(pathToFileURL(broken).href).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as { code?: string }).code).toBe('ERR_MODULE_NOT_FOUND');
    expect(isNotInstalled('@headstart/backend-tfjs', error)).toBe(false);
  });
});
