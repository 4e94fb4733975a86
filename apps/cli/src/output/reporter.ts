import type { EventSink, TrainingEvent } from '@headstart/core';
import cliProgress from 'cli-progress';
import { streamFailed, writeStderr, writeStdout } from './std-streams.js';

/** Where a command's events go: a progress display on a terminal, JSON lines otherwise. */
export interface Reporter {
  emit: EventSink;
  /** A human-readable line (stderr in JSON mode, so stdout stays pure JSON). */
  info(message: string): void;
  warn(message: string): void;
  /** A final machine-readable result (a JSON line in JSON mode, nothing otherwise). */
  result(value: Record<string, unknown>): void;
  close(): void;
  readonly json: boolean;
}

/** JSON lines when asked (`--json`) or when stdout is not a terminal; progress bars otherwise. */
export function createReporter(options: { json?: boolean | undefined }): Reporter {
  const json = options.json === true || !process.stdout.isTTY;
  return json ? jsonReporter() : terminalReporter();
}

function jsonReporter(): Reporter {
  const write = (value: object): void => writeStdout(`${JSON.stringify(value)}\n`);
  return {
    json: true,
    emit(event) {
      // Ten step events an epoch are plenty for a log; the rest would drown it.
      if (
        event.type === 'step' &&
        event.step % Math.max(1, Math.floor(event.stepsPerEpoch / 10)) !== 0 &&
        event.step !== event.stepsPerEpoch
      )
        return;
      write(event);
    },
    info: (message) => writeStderr(`${message}\n`),
    warn: (message) => write({ type: 'log', level: 'warn', message }),
    result: (value) => write({ type: 'result', ...value }),
    close() {},
  };
}

function terminalReporter(): Reporter {
  let bar: cliProgress.SingleBar | undefined;
  const stop = (): void => {
    bar?.stop();
    bar = undefined;
  };
  let engine: string | undefined;
  const emit = (event: TrainingEvent): void => {
    switch (event.type) {
      case 'run-start':
        writeStderr(`${event.strategy} on ${event.engine}: ${event.samples} samples\n`);
        break;
      case 'epoch-start':
        stop();
        if (streamFailed('stderr')) break;
        bar = new cliProgress.SingleBar(
          {
            format: `epoch {epoch}/{epochs} [{bar}] {percentage}% | ETA {eta}s | loss {loss}{accuracy}`,
            hideCursor: true,
            clearOnComplete: true,
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(1, 0, { epoch: event.epoch + 1, epochs: event.epochs, loss: '-', accuracy: '' });
        break;
      case 'step':
        bar?.setTotal(event.stepsPerEpoch);
        bar?.update(event.step, {
          loss: event.loss.toFixed(4),
          accuracy: event.accuracy === undefined ? '' : ` | accuracy ${event.accuracy.toFixed(4)}`,
        });
        break;
      case 'epoch-end':
        stop();
        writeStderr(`epoch ${event.epoch + 1}/${event.epochs} ${formatMetrics(event.metrics)} (${event.seconds.toFixed(1)}s)\n`);
        break;
      case 'early-stop':
        writeStderr(`early stop: ${event.monitor} has not improved since epoch ${event.bestEpoch + 1}\n`);
        break;
      case 'stage-start':
        writeStderr(`\nstage ${event.stage + 1} "${event.name}" (${event.strategy})\n`);
        break;
      case 'stage-end':
        writeStderr(`stage ${event.stage + 1} "${event.name}" done: ${formatMetrics(event.metrics)} → ${event.checkpoint}\n`);
        break;
      case 'plan':
        writeStdout(formatPlan(event));
        break;
      case 'log':
        writeStderr(`${event.level === 'warn' ? 'warning: ' : ''}${event.message}\n`);
        break;
      case 'model':
        if (event.engine !== engine) writeStderr(`model runs on ${event.engine}\n`);
        engine = event.engine;
        break;
      default:
        break;
    }
  };
  return {
    json: false,
    emit,
    info: (message) => writeStdout(`${message}\n`),
    warn: (message) => writeStderr(`warning: ${message}\n`),
    result() {},
    close: stop,
  };
}

/** `loss 0.1234 accuracy 0.9700 valLoss …` */
export function formatMetrics(metrics: Record<string, number | undefined>): string {
  return Object.entries(metrics)
    .filter((e): e is [string, number] => typeof e[1] === 'number')
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`)
    .join(' ');
}

/** The `--dry-run` table: one row a parameter. */
function formatPlan(event: Extract<TrainingEvent, { type: 'plan' }>): string {
  const rows = event.parameters.map((p) => [
    p.name,
    `[${p.shape.join(', ')}]`,
    p.trains ? 'trains' : 'frozen',
    p.trains ? String(p.lr) : '-',
    p.batchNorm ?? '',
  ]);
  const header = ['parameter', 'shape', 'status', 'lr', 'batch-norm'];
  const batches = event.transform ? `\ntraining batches: ${event.transform}` : '';
  const teacher = event.teacher ? `\ndistils from: ${event.teacher}` : '';
  return `phase ${event.phase} (${event.epochs} epochs, loss ${formatLoss(event)})${batches}${teacher}\n${table([header, ...rows])}\n`;
}

/** `softmaxCrossEntropy, labelSmoothing 0.1, classWeights 0.5,2,1`: the loss and its options. */
function formatLoss(event: Extract<TrainingEvent, { type: 'plan' }>): string {
  const options = Object.entries(event.lossOptions ?? {}).map(([name, value]) => {
    const shown = Array.isArray(value)
      ? value.map((w) => Number(w.toPrecision(4))).join(',')
      : typeof value === 'object'
        ? Object.entries(value as object)
            .map(([k, v]) => `${k} ${v}`)
            .join(' ')
        : String(value);
    return `${name} ${shown}`;
  });
  return [event.loss, ...options].join(', ');
}

/** Left-aligned columns separated by two spaces. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
