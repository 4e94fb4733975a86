import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT, runCli, type CliRun } from './run-cli.js';

// Files larger than memory stream: evaluate and predict read a CSV in chunks. The big file is the
// digits rows repeated, so its accuracy is the digits' and its predictions theirs, repeated.

const DIGITS = join(ROOT, 'data/digits/digits.csv');
const DIGITS_ROWS = 1797;
/** Copies of the digits rows in the big file: 400 × 1797 rows, 106 MB of CSV. */
const COPIES = 400;
/** V8's heap cap for every measured run, in MB: well under the file, let alone its parsed rows. */
const HEAP_MB = 64;
/**
 * How much more resident memory a run on the big file may peak at than the same run on the digits.
 * The old-space cap alone cannot catch a whole-file load (sample features are typed arrays,
 * outside V8's heap), so the peak is measured: loading the big file whole takes over 300 MB more
 * (its features alone are 184 MB of float32); streaming it, a few MB.
 */
const GROWTH_LIMIT_BYTES = 48 * 1024 * 1024;

let dir = '';
let model = '';
let big = '';

/** The digits rows, `copies` times over under one header, written as a stream (never whole in memory). */
async function writeRepeatedDigits(file: string, copies: number): Promise<void> {
  const [header, ...rows] = (await readFile(DIGITS, 'utf8')).trim().split('\n');
  const body = `${rows.join('\n')}\n`;
  const out = createWriteStream(file);
  out.write(`${header}\n`);
  for (let i = 0; i < copies; i++) if (!out.write(body)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

/** Run the CLI under the heap cap and measure its peak resident memory (bytes), reported by a preloaded module on exit. */
async function runMeasured(name: string, args: string[]): Promise<CliRun & { peakRss: number }> {
  const report = join(dir, `${name}.rss`);
  const probe = join(dir, `${name}-probe.mjs`);
  await writeFile(
    probe,
    `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(${JSON.stringify(report)}, String(process.resourceUsage().maxRSS * 1024)));\n`,
  );
  const run = await runCli(args, {
    nodeArgs: [`--max-old-space-size=${HEAP_MB}`, '--import', pathToFileURL(probe).href],
    timeoutMs: 110_000,
  });
  return { ...run, peakRss: Number(await readFile(report, 'utf8')) };
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headstart-streaming-'));
  model = join(dir, 'digits.safetensors');
  big = join(dir, 'big.csv');
  const [trained] = await Promise.all([
    runCli(['train', '--strategy', 'full-retrain', '--data', DIGITS, '--scale', '16', '--epochs', '5', '--out', model, '--json']),
    writeRepeatedDigits(big, COPIES),
  ]);
  expect(trained.code, trained.stderr).toBe(0);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Evaluation {
  accuracy: number;
  loss: number;
  samples: number;
  confusion: number[][];
}

// The two runs on the big file go side by side (one core each), to keep the suite's time down.
describe.concurrent(`a CSV of the digits ×${COPIES} under --max-old-space-size=${HEAP_MB}`, { timeout: 120_000 }, () => {
  test("evaluate streams it: the digits' accuracy and confusion ×400, without holding the file", async ({ expect }) => {
    const size = (await stat(big)).size;
    expect(size).toBeGreaterThan(100 * 2 ** 20);
    const small = await runMeasured('evaluate-digits', ['evaluate', '--model', model, '--data', DIGITS, '--json']);
    const large = await runMeasured('evaluate-big', ['evaluate', '--model', model, '--data', big, '--json']);
    expect(large.code, large.stderr).toBe(0);
    const [expected, got] = [small, large].map((run) => JSON.parse(run.stdout) as Evaluation);
    expect(got!.samples).toBe(DIGITS_ROWS * COPIES);
    // Counts scale exactly, so accuracy (a ratio of whole numbers) is the same double.
    expect(got!.accuracy).toBe(expected!.accuracy);
    expect(got!.accuracy).toBeGreaterThan(0.9);
    expect(got!.confusion).toEqual(expected!.confusion.map((row) => row.map((n) => n * COPIES)));
    expect(got!.loss).toBeCloseTo(expected!.loss, 8);
    console.info(`evaluate: ${mb(size)} file, peak RSS ${mb(large.peakRss)} (digits.csv: ${mb(small.peakRss)})`);
    expect(large.peakRss - small.peakRss).toBeLessThan(GROWTH_LIMIT_BYTES);
  });

  test("predict --out streams it: one row a sample, the digits' predictions repeated, written whole at the end", async ({ expect }) => {
    const out = join(dir, 'predictions', 'big.csv');
    const small = await runCli(['predict', '--model', model, '--data', DIGITS]);
    expect(small.code, small.stderr).toBe(0);
    const digitsRows = small.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(',').slice(1).join(','));
    expect(digitsRows).toHaveLength(DIGITS_ROWS);

    const large = await runMeasured('predict-big', ['predict', '--model', model, '--data', big, '--out', out]);
    expect(large.code, large.stderr).toBe(0);
    expect(large.stderr).toBe(`wrote ${DIGITS_ROWS * COPIES} predictions to ${out}\n`);
    let lines = 0;
    let mismatch: string | undefined;
    for await (const line of createInterface({ input: createReadStream(out), crlfDelay: Infinity })) {
      if (lines === 0) expect(line).toBe('index,label,probability');
      else {
        const index = lines - 1;
        const want = `${index},${digitsRows[index % DIGITS_ROWS]}`;
        if (line !== want) mismatch ??= `line ${lines + 1}: ${line}, expected ${want}`;
      }
      lines++;
    }
    expect(mismatch).toBeUndefined();
    expect(lines).toBe(1 + DIGITS_ROWS * COPIES);
    expect((await readdir(join(dir, 'predictions'))).sort()).toEqual(['big.csv']);
    const digitsPeak = (
      await runMeasured('predict-digits', ['predict', '--model', model, '--data', DIGITS, '--out', join(dir, 'predictions', 'digits.csv')])
    ).peakRss;
    console.info(`predict: peak RSS ${mb(large.peakRss)} (digits.csv: ${mb(digitsPeak)})`);
    expect(large.peakRss - digitsPeak).toBeLessThan(GROWTH_LIMIT_BYTES);
  });
});

test('predict to stdout stops quietly when the reader goes away, as `| head` makes it', async () => {
  // Reading the whole big file takes far longer than the timeout: only stopping early passes.
  const run = await runCli(['predict', '--model', model, '--data', big], {
    timeoutMs: 15_000,
    onStdout: (_, child) => child.stdout?.destroy(),
  });
  expect(run.signal).toBeNull();
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout.startsWith('index,label,probability\n0,')).toBe(true);
});

describe('errors past the first chunk', () => {
  /** The digits twice, with `line` (1-based, the header is line 1) replaced. */
  async function digitsWith(name: string, line: number, replace: (cells: string[]) => string[]): Promise<string> {
    const [header, ...rows] = (await readFile(DIGITS, 'utf8')).trim().split('\n');
    const all = [header!, ...rows, ...rows];
    all[line - 1] = replace(all[line - 1]!.split(',')).join(',');
    const file = join(dir, name);
    await writeFile(file, `${all.join('\n')}\n`);
    return file;
  }

  test('a predict that fails after writing rows leaves the --out file as it was, and no temporary file', async () => {
    const data = await digitsWith('bad-cell.csv', 3000, (cells) => cells.map((cell, i) => (i === 5 ? 'x' : cell)));
    const folder = join(dir, 'kept');
    const out = join(folder, 'predictions.jsonl');
    expect((await runCli(['predict', '--model', model, '--data', DIGITS, '--out', out])).code).toBe(0);
    const good = await readFile(out, 'utf8');
    const rows = good
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { index: number; label: number; probability: number });
    expect(rows.map((r) => r.index)).toEqual(Array.from({ length: DIGITS_ROWS }, (_, i) => i));

    // Line 3000 is in the third chunk of 1024 rows: two chunks are written before it fails.
    const failed = await runCli(['predict', '--model', model, '--data', data, '--out', out]);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toBe(`headstart: ${data}, line 3000, column "p5": expected a number, found "x"\n`);
    expect(await readFile(out, 'utf8')).toBe(good);
    expect(await readdir(folder)).toEqual(['predictions.jsonl']);
  });

  test('evaluate names the line of a label the model never saw, in a later chunk', async () => {
    const data = await digitsWith('unseen-label.csv', 2500, (cells) => [...cells.slice(0, -1), '42']);
    const run = await runCli(['evaluate', '--model', model, '--data', data]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `headstart: ${data}, line 2500: label "42" is not one of the 10 known labels (0, 1, 2, 3, 4, 5, 6, 7, … and 2 more)\n`,
    );
  });
});
