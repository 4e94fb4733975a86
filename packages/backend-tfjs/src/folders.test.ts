import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { expect, test } from 'vitest';

// What each folder of src/ may import besides itself (see its README): the layers know only the
// parameters, import and export work on specs and weights alone, the engine choice stands apart.
// The files in src/ itself tie them together and may import anything, as may tests and __fixtures__.
const ALLOWED: Record<string, string[]> = {
  layers: ['parameters.js'],
  interop: ['layers/', 'version.js'],
  engine: [],
};
const SRC = import.meta.dirname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === '__fixtures__' ? [] : sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

test('each folder of src/ imports only itself and what its README allows', () => {
  const stray: string[] = [];
  for (const file of sources(SRC)) {
    const [folder, ...rest] = relative(SRC, file).split('/');
    if (rest.length === 0) continue;
    expect(Object.keys(ALLOWED), `${relative(SRC, file)}: a folder without rules`).toContain(folder);
    for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = relative(SRC, resolve(dirname(file), fileName));
      if (
        target.startsWith(`${folder}/`) ||
        ALLOWED[folder!]!.some((allowed) => target === allowed || (allowed.endsWith('/') && target.startsWith(allowed)))
      )
        continue;
      stray.push(`${relative(SRC, file)} imports ${fileName}`);
    }
  }
  expect(stray).toEqual([]);
});
