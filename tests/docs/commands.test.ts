import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isMentionOrTemplate, readPage, type Step, withoutNpx } from './doc-commands.js';

// Runs every command of README.md and docs/*.md as written: each ```sh block's lines, in page order, each through
// `sh -c` in one working directory per page that looks like the root of a clone (the repository's data/, examples/, tests/,
// node_modules/ and package.json, linked), so `npx headstart …` is the workspace's bin and bare `headstart …` (the
// installed CLI of the docs) is the same bin through node_modules/.bin on PATH. A YAML block whose first line is
// `# NAME.yaml` is saved as NAME.yaml there when the page reaches it. A command exits 0, or the code its trailing
// `# exits N` documents (then with one line on stderr). Pages run two at a time. Needs the built CLI
// (`npm run build`). COMMANDS_VERBOSE=1 prints what each command printed.
//
// Nothing is left out silently: a command runs unless SKIP names it, a SKIP entry the pages no longer hold fails, a
// command quoted inline must be a name, a template (capitals, `…`) or one a block runs, and commands in a block not
// marked `sh` fail.

const ROOT = join(import.meta.dirname, '..', '..');

/** Block commands not run here, exactly as written, and why. */
const SKIP: Record<string, string> = {
  'npm ci && npm run demo     # the main job on the embedded digits data':
    'quick start: reinstalls the clone’s node_modules; CI runs `npm ci`, then `npm test`, whose tests/cli/demo.test.ts runs the demo',
  'npm ci && npm test         # the whole test suite': 'quick start: this suite is part of it; CI runs it',
  'npx headstart demo --task text --out text-report        # three seeds: about 2 minutes on onnx, two idle cores':
    'minutes long; tests/cli/text-demo.test.ts runs it with --seeds 1, the same code on one seed',
  'npm install @headstart/core @headstart/data @headstart/backend-onnx':
    'the packages are not published to the registry yet; tests/docs/snippets.test.ts runs the page against the built workspace packages',
  'npm install @headstart/core @headstart/data @headstart/strategies @headstart/backend-onnx': 'not published yet, as above',
};

/** Inline commands that are neither names nor templates nor run by a block, and why. */
const SKIP_INLINE: Record<string, string> = {
  'headstart export m.safetensors --format tiny-json --out m.tiny.json':
    'what a plugin package registering the page’s tiny-json format "would" allow; the page registers it in-process only',
  'headstart import m.tiny.json --out back.safetensors': 'as above',
  'headstart demo --task text --out text-report':
    'minutes long; tests/cli/text-demo.test.ts runs it with --seeds 1, the same code on one seed',
  'headstart demo --task text': 'as above',
};

/** README.md, then docs/*.md. */
const pages = [
  'README.md',
  ...(await readdir(join(ROOT, 'docs')))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];
const read = new Map(await Promise.all(pages.map(async (page) => [page, readPage(await readFile(join(ROOT, page), 'utf8'))] as const)));

/** What one command did. */
interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** One command of a page with its outcome, settled when it has run (or rejected when an earlier one failed). */
interface Pending {
  step: Extract<Step, { kind: 'command' }>;
  outcome: Promise<Outcome>;
  settle: (outcome: Outcome | Error) => void;
}

const pending = new Map<string, Pending[]>();
for (const [page, { steps }] of read) {
  pending.set(
    page,
    steps.flatMap((step) => {
      if (step.kind !== 'command' || step.text in SKIP) return [];
      let settle!: Pending['settle'];
      const outcome = new Promise<Outcome>((resolve, reject) => {
        settle = (o) => (o instanceof Error ? reject(o) : resolve(o));
      });
      outcome.catch(() => {}); // its test reports it
      return [{ step, outcome, settle }];
    }),
  );
}

let work: string;
/** All pages' runs; afterAll stops what is left (a run filtered by `-t` would otherwise outlive the suite) and waits. */
let running: Promise<unknown> = Promise.resolve();
const stop = new AbortController();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'headstart-doc-commands-'));
  const queue = [...read.keys()].sort((a, b) => pending.get(b)!.length - pending.get(a)!.length);
  const worker = async (): Promise<void> => {
    for (let page = queue.shift(); page; page = queue.shift()) {
      await runPage(page).catch((error: Error) => {
        for (const command of pending.get(page)!) command.settle(error); // settled ones stay as they were
      });
    }
  };
  // Not awaited here: each command's test waits for its own outcome, so results show as they come.
  running = Promise.all([worker(), worker()]);
});

afterAll(async () => {
  stop.abort();
  await running;
  await rm(work, { recursive: true, force: true });
});

/** Runs a page's steps in order in its own clone-like directory; after a failure the rest are not run. */
async function runPage(page: string): Promise<void> {
  const dir = join(work, page.replace(/[/.]/g, '-'));
  await mkdir(dir);
  for (const entry of ['data', 'examples', 'node_modules', 'package.json', 'tests']) await symlink(join(ROOT, entry), join(dir, entry));
  let failed: string | undefined;
  const commands = pending.get(page)!;
  for (const step of read.get(page)!.steps) {
    if (step.kind === 'file') {
      await writeFile(join(dir, step.name), step.content);
      continue;
    }
    const command = commands.find((c) => c.step === step);
    if (!command) continue; // in SKIP
    if (failed || stop.signal.aborted) {
      command.settle(new Error(failed ? `not run: ${failed} failed before it` : 'not run: the suite ended'));
      continue;
    }
    const outcome = await shell(step.text, dir);
    if (outcome.code !== step.exits) failed = `${page}:${step.line}`;
    command.settle(outcome);
  }
}

/** `text` through `sh -c` in `cwd`, with the workspace's bins on PATH, in its own process group (stopped as a whole). */
function shell(text: string, cwd: string): Promise<Outcome> {
  const env = { ...process.env, PATH: `${join(ROOT, 'node_modules', '.bin')}${delimiter}${process.env.PATH}` };
  const child = spawn('/bin/sh', ['-c', text], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const kill = (): void => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {} // already gone
  };
  const timer = setTimeout(kill, 120_000);
  stop.signal.addEventListener('abort', kill, { once: true });
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      stop.signal.removeEventListener('abort', kill);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

describe('the commands of README.md and docs/', () => {
  test('every page that shows commands has some to run', () => {
    for (const page of ['README.md', 'docs/concepts.md', 'docs/architecture.md', 'docs/writing-a-strategy.md']) {
      expect(pending.get(page)!.length, page).toBeGreaterThan(0);
    }
  });

  test('every SKIP entry is still on a page', () => {
    const commands = [...read.values()].flatMap((p) => p.steps.flatMap((s) => (s.kind === 'command' ? [s.text] : [])));
    const inline = [...read.values()].flatMap((p) => p.inline.map((c) => c.text));
    expect(
      Object.keys(SKIP).filter((text) => !commands.includes(text)),
      'SKIP entries no page holds',
    ).toEqual([]);
    expect(
      Object.keys(SKIP_INLINE).filter((text) => !inline.includes(text)),
      'SKIP_INLINE entries no page holds',
    ).toEqual([]);
  });

  test('every block of commands is marked sh (so it runs)', () => {
    const unmarked = [...read].flatMap(([page, p]) => p.unmarked.map((u) => `${page}:${u.line}: ${u.text}`));
    expect(unmarked, 'commands in a block not marked ```sh, which nothing runs').toEqual([]);
  });

  test('every command quoted in prose is a name, a template, or one a block on its page runs', () => {
    const unrun: string[] = [];
    for (const [page, { steps, inline }] of read) {
      const run = steps.flatMap((s) => (s.kind === 'command' && !(s.text in SKIP) ? [withoutNpx(s.text)] : []));
      for (const { line, text } of inline) {
        if (isMentionOrTemplate(text) || text in SKIP_INLINE || run.some((r) => r.includes(withoutNpx(text)))) continue;
        unrun.push(`${page}:${line}: \`${text}\``);
      }
    }
    expect(unrun, 'show these in a ```sh block (then they run) or write their placeholders in CAPITALS').toEqual([]);
  });

  for (const [page, commands] of [...pending].filter(([, commands]) => commands.length > 0)) {
    describe(page, () => {
      for (const { step, outcome } of commands) {
        const title = `${page}:${step.line}: ${step.text.split('#')[0]!.trim()}`;
        test(title, async () => {
          const { code, stdout, stderr } = await outcome;
          if (process.env.COMMANDS_VERBOSE) console.log(`${title}\n${stdout}${stderr}`);
          expect(code, `${title}\n--- stdout\n${stdout.slice(-4000)}\n--- stderr\n${stderr.slice(-4000)}`).toBe(step.exits);
          if (step.exits !== 0) expect(stderr.trim().split('\n'), 'a refusal is one line').toHaveLength(1);
        }, 600_000);
      }
    });
  }
});
