import { argmaxRows } from '@headstart/core';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CliError } from '../cli-error.js';
import { loadForModel } from '../data-options.js';
import { loadModel } from '../model-loader.js';
import { createReporter } from '../output/reporter.js';

/** Flags of `headstart predict`. */
export interface PredictFlags {
  model: string;
  data: string;
  label?: string;
  out?: string;
  backend?: string;
}

/** `headstart predict`: the predicted label (in the data's original labels) and its probability, per sample. */
export async function predict(flags: PredictFlags): Promise<void> {
  const reporter = createReporter({ json: false });
  const { checkpoint, model } = await loadModel(flags.model, flags.backend, reporter);
  const { spec, labels, featureNames, preprocessing } = checkpoint.manifest;
  if (!labels) throw new CliError(`${flags.model}: the checkpoint has no label map; it is not a classifier`);
  try {
    const data = await loadForModel(flags.data, { featureNames, inputShape: spec.inputShape, preprocessing }, { label: flags.label, labelled: false });
    const probs = await model.predict(data.features, data.size);
    const best = argmaxRows(probs, labels.length);
    const rows = Array.from(best, (c, i) => ({ index: i, label: labels[c]!, probability: probs[i * labels.length + c]! }));
    const jsonl = flags.out?.endsWith('.jsonl') === true;
    const text = jsonl
      ? rows.map((r) => JSON.stringify(r)).join('\n') + '\n'
      : 'index,label,probability\n' + rows.map((r) => `${r.index},${csvCell(String(r.label))},${r.probability.toFixed(6)}`).join('\n') + '\n';
    if (!flags.out) return void process.stdout.write(text);
    await mkdir(dirname(flags.out), { recursive: true });
    await writeFile(flags.out, text);
    process.stderr.write(`wrote ${rows.length} predictions to ${flags.out}\n`);
  } finally {
    model.dispose();
  }
}

function csvCell(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
