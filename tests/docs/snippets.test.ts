import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

// Runs the code blocks of docs/*.md marked `runnable` (```ts runnable, ```python runnable) so the docs stay
// true. The TypeScript blocks are type-checked together by the workspace's tsc, with the settings `tsc --init`
// gives a new project, against the built packages packed with `npm pack` and installed into that project from
// the tarballs (as a user sees them before the first release: `files`, `exports`, `types` and declared
// dependencies, not sources), then each runs with node as its own
// script; the blocks of one page run in order in one working directory, so a later block may read what an
// earlier one wrote. `data/` there is the repository's, so the docs can say `data/digits/digits.csv`.
// SNIPPETS_VERBOSE=1 prints what each block printed.

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const DOCS = join(ROOT, 'docs');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const PYTHON = '/usr/bin/python3';
/**
 * The workspace packages the snippets import, and the CLI: installed without `@headstart/backend-tfjs`
 * (an optional peer of it), as a user who wants onnx only would.
 */
const PACKED = ['packages/core', 'packages/data', 'packages/strategies', 'packages/backend-onnx', 'packages/conformance', 'apps/cli'];

/** One runnable block: its page, line and text. */
interface Snippet {
  page: string;
  line: number;
  lang: 'ts' | 'python';
  code: string;
  /** Its file name in the working directory. */
  file: string;
}

/** The runnable blocks of a Markdown page, in order. */
function runnableBlocks(page: string, markdown: string): Snippet[] {
  const snippets: Snippet[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript|python)\s+runnable\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`${page}:${i + 1}: a runnable block that never closes`);
    const lang = open[1] === 'python' ? 'python' : 'ts';
    const name = `${page.replace(/\.md$/, '')}-${i + 1}`;
    snippets.push({
      page,
      line: i + 1,
      lang,
      code: `${lines.slice(i + 1, end).join('\n')}\n`,
      file: lang === 'ts' ? `${name}.ts` : `${name}.py`,
    });
    i = end;
  }
  return snippets;
}

const pages = (await readdir(DOCS)).filter((f) => f.endsWith('.md')).sort();
const snippets = (await Promise.all(pages.map(async (page) => runnableBlocks(page, await readFile(join(DOCS, page), 'utf8'))))).flat();
let dir: string;
let compileErrors = new Map<string, string[]>();

beforeAll(async () => {
  // A new project outside the repository, with the packages installed from the tarballs `npm pack` makes
  // of the built workspace packages, as docs/using-the-packages.md says to before the first release.
  dir = await mkdtemp(join(tmpdir(), 'headstart-doc-snippets-'));
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'doc-snippets', private: true, type: 'module' }));
  await installTarballs(dir);
  // A new project's settings: what the installed TypeScript's `tsc --init` writes (strict, with
  // exactOptionalPropertyTypes and verbatimModuleSyntax), plus Node's types, which a script needs.
  await run(process.execPath, [TSC, '--init'], { cwd: dir });
  await rename(join(dir, 'tsconfig.json'), join(dir, 'tsconfig.init.json'));
  const compilerOptions = { types: ['node'], outDir: 'out', rootDir: 'src', noEmitOnError: false };
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ extends: './tsconfig.init.json', compilerOptions, include: ['src'] }));
  await mkdir(join(dir, 'src'));
  for (const s of snippets.filter((s) => s.lang === 'ts')) await writeFile(join(dir, 'src', s.file), `export {};\n${s.code}`);
  for (const s of snippets.filter((s) => s.lang === 'python')) await writeFile(join(dir, s.file), s.code);
  compileErrors = await compile(dir);
}, 240_000);

/** The packages the snippets import, packed and installed into `project` (the rest from npm's cache). */
async function installTarballs(project: string): Promise<void> {
  const tarballs = join(project, 'tarballs');
  await mkdir(tarballs);
  for (const pkg of PACKED) await run('npm', ['pack', '--silent', '--pack-destination', tarballs], { cwd: join(ROOT, pkg) });
  const version = async (name: string): Promise<string> =>
    (JSON.parse(await readFile(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  const files = (await readdir(tarballs)).map((f) => join(tarballs, f));
  const extra = [`@types/node@${await version('@types/node')}`, `zod@${await version('zod')}`];
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...files, ...extra], {
    cwd: project,
    // onnxruntime-node's install script would download GPU binaries; the docs give this variable to skip it.
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
    timeout: 120_000,
  });
}

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** tsc over every TypeScript block; its errors by file name. */
async function compile(project: string): Promise<Map<string, string[]>> {
  const errors = new Map<string, string[]>();
  try {
    await run(process.execPath, [TSC, '-p', project, '--pretty', 'false'], { cwd: project });
  } catch (error) {
    for (const line of String((error as { stdout?: string }).stdout ?? error).split('\n')) {
      const match = /^src\/([^(]+)\((\d+),\d+\): (.*)$/.exec(line);
      // Line numbers are the block's own (the first line of the file is the `export {}` added above).
      if (match) errors.set(match[1]!, [...(errors.get(match[1]!) ?? []), `line ${Number(match[2]) - 1}: ${match[3]}`]);
      else if (line.trim()) errors.set('(tsc)', [...(errors.get('(tsc)') ?? []), line]);
    }
  }
  return errors;
}

describe('runnable doc snippets', () => {
  test('there are some, in every page that shows code to run', () => {
    for (const page of ['using-the-packages.md', 'writing-a-strategy.md', 'writing-a-backend.md', 'checkpoint-format.md']) {
      expect(snippets.filter((s) => s.page === page).length, page).toBeGreaterThan(0);
    }
    expect(compileErrors.get('(tsc)')).toBeUndefined();
  });

  for (const page of new Set(snippets.map((s) => s.page))) {
    describe(page, () => {
      let failed: string | undefined;
      for (const snippet of snippets.filter((s) => s.page === page)) {
        const title = `docs/${page}:${snippet.line} (${snippet.lang})`;
        const skip = snippet.lang === 'python' && !existsSync(PYTHON);
        test.skipIf(skip)(
          skip ? `${title} [skipped: ${PYTHON} is not installed]` : title,
          async () => {
            // The blocks of a page build on each other: after one fails, the rest say so instead of failing obscurely.
            if (failed) throw new Error(`not run: ${failed} failed before it`);
            failed = title;
            if (snippet.lang === 'ts') expect(compileErrors.get(snippet.file) ?? [], `type errors in ${title}`).toEqual([]);
            const command =
              snippet.lang === 'ts'
                ? [process.execPath, join(dir, 'out', snippet.file.replace(/\.ts$/, '.js'))]
                : [PYTHON, join(dir, snippet.file)];
            const workdir = await pageDir(page);
            const result = await run(command[0]!, command.slice(1), { cwd: workdir, timeout: 120_000 }).catch(
              (error: { code?: number; stdout?: string; stderr?: string }) => {
                throw new Error(`${title} exited ${error.code}\n--- stdout\n${error.stdout}\n--- stderr\n${error.stderr}`);
              },
            );
            if (process.env.SNIPPETS_VERBOSE) console.log(`${title}:\n${result.stdout}`);
            expect(result.stdout.trim().length, `${title} prints what it did`).toBeGreaterThan(0);
            failed = undefined;
          },
          180_000,
        );
      }
    });
  }
});

const pageDirs = new Map<string, string>();

/** The working directory of a page's blocks, with the repository's data/ in it. */
async function pageDir(page: string): Promise<string> {
  let work = pageDirs.get(page);
  if (!work) {
    work = join(dir, 'work', page.replace(/\.md$/, ''));
    await mkdir(work, { recursive: true });
    await symlink(join(ROOT, 'data'), join(work, 'data'), 'dir');
    pageDirs.set(page, work);
  }
  return work;
}

/** `npx headstart ...args` in the project, as a user runs the installed CLI: exit code and output. */
async function headstart(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return run('npx', ['--no', '--', 'headstart', ...args], { cwd, timeout: 120_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code ?? -1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );
}

describe('the CLI installed without @headstart/backend-tfjs', () => {
  const TFJS_MISSING =
    'headstart: --backend tfjs: the tfjs backend is not installed; install it with `npm install @headstart/backend-tfjs`\n';
  let work: string;
  beforeAll(async () => {
    work = await pageDir('cli-without-tfjs');
  });

  test('npm installed neither it nor TensorFlow.js', () => {
    expect(existsSync(join(dir, 'node_modules', '@headstart', 'cli'))).toBe(true);
    expect(existsSync(join(dir, 'node_modules', '@headstart', 'backend-tfjs'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules', '@tensorflow'))).toBe(false);
  });

  test('--help and doctor work and warn about nothing; doctor lists tfjs as not installed', async () => {
    const help = await headstart(['--help'], work);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toContain('Usage: headstart');
    const doctor = await headstart(['doctor'], work);
    expect(doctor).toMatchObject({ code: 0, stderr: '' });
    expect(doctor.stdout).not.toContain('warning');
    expect(doctor.stdout).toMatch(/^✔ onnx/m);
    expect(doctor.stdout).toContain('✘ tfjs\n    not installed: npm install @headstart/backend-tfjs to use it\n');
  });

  test('train --backend onnx trains; --backend tfjs fails in one line saying how to install it, writing nothing', async () => {
    const common = ['train', '--strategy', 'full-retrain', '--data', 'data/digits/digits.csv', '--scale', '16', '--epochs', '1'];
    const onnx = await headstart([...common, '--backend', 'onnx', '--out', 'onnx.safetensors'], work);
    expect(onnx.code, onnx.stderr).toBe(0);
    expect(`${onnx.stdout}${onnx.stderr}`).not.toMatch(/tfjs|tensorflow/i);
    expect(existsSync(join(work, 'onnx.safetensors'))).toBe(true);
    const tfjs = await headstart([...common, '--backend', 'tfjs', '--out', 'tfjs.safetensors'], work);
    expect(tfjs).toEqual({ code: 2, stdout: '', stderr: TFJS_MISSING });
    expect(existsSync(join(work, 'tfjs.safetensors'))).toBe(false);
  });
});
