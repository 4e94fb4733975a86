import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { expect, test } from 'vitest';

// The folders of src/ from the bottom up (see README.md, "Folders"): code imports only its own folder and
// the folders below it, so the ONNX format knows nothing of the compiler, the compiler nothing of
// onnxruntime, and the runtime nothing of import and export. src/ itself (the backend) sits on top;
// version.ts, a leaf, may be imported from anywhere. Tests and __fixtures__ may import anything.
const ORDER = ['onnx', 'compiler', 'runtime', 'interop', '.'];
const SRC = import.meta.dirname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === '__fixtures__' ? [] : sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** The top folder of src/ that holds `file` ('.' for src/ itself). */
function folderOf(file: string): string {
  const parts = relative(SRC, file).split('/');
  return parts.length > 1 ? parts[0]! : '.';
}

test('every folder of src/ imports only itself and the folders below it', () => {
  const upward: string[] = [];
  for (const file of sources(SRC)) {
    const from = folderOf(file);
    for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = resolve(dirname(file), fileName);
      if (relative(SRC, target) === 'version.js') continue;
      const to = folderOf(target);
      expect(ORDER, `${relative(SRC, file)} imports ${fileName}`).toContain(to);
      if (ORDER.indexOf(to) > ORDER.indexOf(from))
        upward.push(`${relative(SRC, file)} imports ${fileName} (${from}/ may not import ${to}/)`);
    }
  }
  expect(upward).toEqual([]);
});
