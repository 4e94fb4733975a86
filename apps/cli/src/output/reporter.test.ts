import { afterEach, expect, onTestFinished, test, vi } from 'vitest';
import { createReporter } from './reporter.js';

afterEach(() => {
  vi.restoreAllMocks();
});

test("the --dry-run plan on a terminal names each phase's loss with its options", () => {
  const written: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  // A terminal: progress display, not JSON lines.
  const wasTTY = process.stdout.isTTY;
  process.stdout.isTTY = true;
  onTestFinished(() => {
    process.stdout.isTTY = wasTTY;
  });
  const reporter = createReporter({ json: false });
  const parameters = [{ name: 'head.kernel', shape: [8, 3], trains: true, lr: 0.01 }];
  reporter.emit({ type: 'plan', stage: 0, phase: 'head', epochs: 5, loss: 'softmaxCrossEntropy', parameters });
  reporter.emit({
    type: 'plan',
    stage: 0,
    phase: 'tune',
    epochs: 2,
    loss: 'softmaxCrossEntropy',
    lossOptions: { labelSmoothing: 0.1, classWeights: [0.5, 2, 1 / 3] },
    parameters,
  });
  expect(
    written
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('phase ')),
  ).toEqual([
    'phase head (5 epochs, loss softmaxCrossEntropy)',
    'phase tune (2 epochs, loss softmaxCrossEntropy, labelSmoothing 0.1, classWeights 0.5,2,0.3333)',
  ]);
});

test('the --dry-run plan on a terminal names the teacher a phase distils from', () => {
  const written: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  const wasTTY = process.stdout.isTTY;
  process.stdout.isTTY = true;
  onTestFinished(() => {
    process.stdout.isTTY = wasTTY;
  });
  const reporter = createReporter({ json: false });
  reporter.emit({
    type: 'plan',
    stage: 0,
    phase: 'student',
    epochs: 3,
    loss: 'softmaxCrossEntropy',
    lossOptions: { distillation: { temperature: 4, alpha: 0.7 } },
    parameters: [{ name: 'head.kernel', shape: [16, 10], trains: true, lr: 0.001 }],
    teacher: 'teacher phase',
  });
  expect(written.join('')).toContain(
    'phase student (3 epochs, loss softmaxCrossEntropy, distillation temperature 4 alpha 0.7)\ndistils from: teacher phase\n',
  );
});
