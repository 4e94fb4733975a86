import { evaluateClassifierStream } from '@headstart/core';
import { CliError } from '../cli-error.js';
import { streamModelData } from '@headstart/data';
import { loadModel } from '../model-loader.js';
import { createReporter, table } from '../output/reporter.js';

/** Flags of `headstart evaluate`. */
export interface EvaluateFlags {
  model: string;
  data: string;
  label?: string | undefined;
  backend?: string | undefined;
  json?: boolean | undefined;
}

/** `headstart evaluate`: accuracy, loss, per-class figures and the confusion matrix. */
export async function evaluate(flags: EvaluateFlags): Promise<void> {
  const reporter = createReporter({ json: flags.json === true });
  const { checkpoint, model } = await loadModel(flags.model, flags.backend, reporter);
  const { spec, labels, featureNames, preprocessing, tokenizer } = checkpoint.manifest;
  if (!labels) throw new CliError(`${flags.model}: the checkpoint has no label map; it is not a classifier`);
  try {
    // Streamed in chunks, so a file larger than memory can be evaluated.
    const chunks = streamModelData(
      flags.data,
      { labels, featureNames, inputShape: spec.inputShape, preprocessing, tokenizer, file: flags.model },
      { label: flags.label, labelled: true },
    );
    const result = await evaluateClassifierStream(model, chunks, labels);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    const perClass = Object.entries(result.perClass).map(([label, m]) => [
      label,
      String(m.count),
      m.recall.toFixed(4),
      m.precision.toFixed(4),
    ]);
    const names = labels.map(String);
    const confusion = [['true \\ predicted', ...names], ...result.confusion.map((row, i) => [names[i]!, ...row.map(String)])];
    process.stdout.write(
      `${flags.model} on ${flags.data} (${result.samples} samples)\n` +
        `accuracy ${result.accuracy.toFixed(4)}  loss ${result.loss.toFixed(4)}\n\n` +
        `${table([['class', 'samples', 'recall', 'precision'], ...perClass])}\n\n${table(confusion)}\n`,
    );
  } finally {
    model.dispose();
  }
}
