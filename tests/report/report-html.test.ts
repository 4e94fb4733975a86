/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// (The functions passed to page.evaluate run in the browser.)
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT, runCli } from '../cli/run-cli.js';
import { decodePng, type Rgba } from './png.js';

// report.html opened in a real browser: Debian's chromium (`.ci/run` installs it when absent), driven by
// puppeteer-core, which downloads no browser of its own. Without chromium the tests are skipped locally;
// under CI (CI set) they must run, so a missing browser fails them.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const SKIP_REASON = `no Chromium at ${CHROMIUM} (apt-get install chromium, as .ci/run does, or set CHROMIUM_PATH)`;

const ARMS = ['scratch', 'frozen-base'];
const BUDGETS = [2, 5];
const SEEDS = [1, 2];

/** What happened while the page loaded. */
const seen = { consoleErrors: [] as string[], pageErrors: [] as string[], requests: [] as string[], failed: [] as string[] };
let dir: string;
let browser: Browser | undefined;
let page: Page;
let reportUrl: string;

beforeAll(async () => {
  if (!HAVE_CHROMIUM) {
    if (process.env.CI) throw new Error(`CI is set but the report test cannot run: ${SKIP_REASON}`);
    return;
  }
  dir = await mkdtemp(join(tmpdir(), 'headstart-report-html-'));
  await writeFile(
    join(dir, 'experiment.yaml'),
    `name: report check
data: ${join(ROOT, 'data/digits/digits.csv')}
scale: 16
source: { labels: [0, 1, 2, 3, 4], options: { epochs: 3 } }
target: { labels: [5, 6, 7, 8, 9], budgets: [${BUDGETS.join(', ')}] }
strategies:
  - { strategy: full-retrain, name: scratch, options: { epochs: 5 } }
  - { strategy: frozen-base, options: { epochs: 5 } }
seeds: [${SEEDS.join(', ')}]
`,
  );
  const run = await runCli(['compare', join(dir, 'experiment.yaml'), '--out', join(dir, 'out'), '--json']);
  expect(run.code, run.stderr).toBe(0);
  reportUrl = pathToFileURL(join(dir, 'out', 'report.html')).href;

  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true, // --headless=new
    args: ['--no-sandbox', '--disable-gpu'],
    userDataDir: join(dir, 'profile'),
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1040, height: 900, deviceScaleFactor: 1 });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'assert') seen.consoleErrors.push(`${m.text()} (${m.location().url ?? ''})`);
  });
  page.on('pageerror', (e) => seen.pageErrors.push(String(e)));
  page.on('requestfailed', (r) => seen.failed.push(`${r.url()}: ${r.failure()?.errorText ?? ''}`));
  // The report must fetch nothing but itself: any other request is recorded and blocked.
  await page.setRequestInterception(true);
  page.on('request', (r) => {
    if (r.isInterceptResolutionHandled()) return;
    if (r.url() === reportUrl) return void r.continue();
    seen.requests.push(r.url());
    return void r.abort('blockedbyclient');
  });
  const response = await page.goto(reportUrl, { waitUntil: 'load' });
  expect(response?.ok() ?? true).toBe(true);
  // Let anything asynchronous (there should be nothing) report before the checks.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 50))));
});

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Skips the test (with the reason) where chromium is absent and CI is not set. */
function needChromium(skip: (note: string) => never): void {
  if (!HAVE_CHROMIUM) skip(SKIP_REASON);
}

/** How a plot drew in the page. */
interface SvgReport {
  id: string;
  box: { width: number; height: number };
  axisLength: number;
  /** Data lines: their length on screen, whether their box lies in the plot and their visible colour over white. */
  lines: { length: number; inside: boolean; colour: [number, number, number]; opacity: number }[];
  dots: number;
}

describe('report.html in headless Chromium', () => {
  test('loads with no console errors, no page errors and no requests but the file itself', ({ skip }) => {
    needChromium(skip);
    expect(seen.pageErrors).toEqual([]);
    expect(seen.consoleErrors).toEqual([]);
    expect(seen.requests).toEqual([]);
    expect(seen.failed).toEqual([]);
  });

  test('has the table, every plot and the provenance of each run', async ({ skip }) => {
    needChromium(skip);
    const { rows, headings, figures, checkpoints } = await page.evaluate(() => ({
      rows: [...document.querySelectorAll('tbody th[scope=row]')].map((th) => th.textContent),
      headings: [...document.querySelectorAll('h2')].map((h) => h.textContent),
      figures: [...document.querySelectorAll('svg')].map((s) => s.querySelector('title')?.id),
      checkpoints: document.querySelectorAll('.prov li').length,
    }));
    expect(rows).toEqual(ARMS);
    expect(headings).toEqual(['Results', 'Accuracy versus labels per class', 'Learning curves', 'Provenance']);
    expect(figures).toEqual(['accuracy-title', ...ARMS.map((_, i) => `curve-${i}-title`)]);
    expect(checkpoints).toBe(ARMS.length * BUDGETS.length * SEEDS.length);
  });

  test('each plot is laid out with a size and draws its axes, lines and points inside its frame', async ({ skip }) => {
    needChromium(skip);
    const plots = await svgReports(page);
    expect(plots.map((p) => p.id)).toEqual(['accuracy', ...ARMS.map((_, i) => `curve-${i}`)]);
    for (const p of plots) {
      expect(p.box.width, p.id).toBeGreaterThan(200);
      expect(p.box.height, p.id).toBeGreaterThan(100);
      expect(p.axisLength, p.id).toBeGreaterThan(100);
      for (const line of p.lines) {
        expect(line.length, p.id).toBeGreaterThan(10);
        expect(line.inside, p.id).toBe(true);
      }
    }
    const [accuracy, ...curves] = plots;
    expect(accuracy!.lines).toHaveLength(ARMS.length); // one line an arm
    expect(accuracy!.dots).toBe(ARMS.length * BUDGETS.length); // one point an arm and budget
    for (const c of curves) expect(c.lines).toHaveLength(BUDGETS.length * SEEDS.length); // one line a run
  });

  test('a screenshot is not blank, and each plot shows its lines in their colours', async ({ skip }) => {
    needChromium(skip);
    const whole = decodePng(await page.screenshot({ type: 'png', fullPage: true }));
    const stats = pixelStats(whole);
    expect(stats.height).toBeGreaterThan(900);
    expect(stats.std).toBeGreaterThan(10);
    expect(stats.notBackground).toBeGreaterThan(0.02);

    const plots = await svgReports(page);
    for (const p of plots) {
      const handle = await page.$(`svg:has(> title#${p.id}-title)`);
      const shot = decodePng(await handle!.screenshot({ type: 'png' }));
      const s = pixelStats(shot);
      expect(Math.abs(shot.width - p.box.width), p.id).toBeLessThanOrEqual(2);
      expect(s.notBackground, p.id).toBeGreaterThan(0.01);
      // Each data line's colour, as it shows over white, covers at least half as many pixels as its lines are long.
      for (const colour of new Set(p.lines.map((l) => over(l.colour, l.opacity).join()))) {
        const target = colour.split(',').map(Number) as [number, number, number];
        const length = Math.max(...p.lines.filter((l) => over(l.colour, l.opacity).join() === colour).map((l) => l.length));
        expect(countNear(shot, target, 40), `${p.id}: pixels of rgb(${colour})`).toBeGreaterThan(length / 2);
      }
    }
  });
});

/** Reads each report SVG's geometry and its data lines as the browser laid them out. */
function svgReports(p: Page): Promise<SvgReport[]> {
  return p.evaluate(() => {
    const rgb = (css: string): [number, number, number] => {
      const m = /rgba?\((\d+), (\d+), (\d+)/.exec(css);
      return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [-1, -1, -1];
    };
    return [...document.querySelectorAll('svg')].map((svg) => {
      const vb = svg.viewBox.baseVal;
      const rect = svg.getBoundingClientRect();
      const axis = svg.querySelector<SVGPathElement>('path.axis');
      const lines = [...svg.querySelectorAll<SVGPolylineElement>('polyline')]
        .filter((l) => !l.closest('.legend'))
        .map((l) => {
          const b = l.getBBox();
          const style = getComputedStyle(l);
          const opacity = Number(style.strokeOpacity) * Number(style.opacity);
          return {
            length: l.getTotalLength() * (rect.width / vb.width),
            inside:
              b.width + b.height > 0 &&
              b.x >= vb.x &&
              b.y >= vb.y &&
              b.x + b.width <= vb.x + vb.width &&
              b.y + b.height <= vb.y + vb.height,
            colour: rgb(style.stroke),
            opacity,
          };
        });
      return {
        id: svg.querySelector('title')!.id.replace(/-title$/, ''),
        box: { width: rect.width, height: rect.height },
        axisLength: axis ? axis.getTotalLength() : 0,
        lines,
        dots: svg.querySelectorAll('.arm circle').length,
      };
    });
  });
}

/** A colour drawn at `opacity` over white. */
const over = (c: [number, number, number], opacity: number): [number, number, number] =>
  c.map((v) => Math.round(v * opacity + 255 * (1 - opacity))) as [number, number, number];

/** How many pixels are within `tolerance` (per channel) of `target`. */
function countNear(img: Rgba, target: [number, number, number], tolerance: number): number {
  let n = 0;
  for (let i = 0; i < img.data.length; i += 4) {
    if (
      Math.abs(img.data[i]! - target[0]) <= tolerance &&
      Math.abs(img.data[i + 1]! - target[1]) <= tolerance &&
      Math.abs(img.data[i + 2]! - target[2]) <= tolerance
    )
      n++;
  }
  return n;
}

/** Luminance spread and the share of pixels that differ from the commonest (background) colour. */
function pixelStats(img: Rgba): { height: number; std: number; notBackground: number } {
  const counts = new Map<number, number>();
  let sum = 0,
    sum2 = 0;
  const n = img.width * img.height;
  for (let i = 0; i < img.data.length; i += 4) {
    const [r, g, b] = [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
    const key = (r << 16) | (g << 8) | b;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    sum += y;
    sum2 += y * y;
  }
  const background = Math.max(...counts.values());
  return { height: img.height, std: Math.sqrt(Math.max(0, sum2 / n - (sum / n) ** 2)), notBackground: 1 - background / n };
}
