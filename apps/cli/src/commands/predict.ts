import { argmaxRows, checkOutput, classProbabilitiesOf, HeadstartError, type Label } from '@headstart/core';
import { recordedBase } from '../adapter-base.js';
import { CliError } from '../cli-error.js';
import { streamModelData } from '@headstart/data';
import { flagPaths } from '../flag-paths.js';
import { interruptSignal } from '../interrupt.js';
import { loadModel } from '../model-loader.js';
import { createReporter } from '../output/reporter.js';
import { atomicFileOutput, stdoutOutput, type TextOutput } from '../output/text-output.js';

/** Flags of `headstart predict`. */
export interface PredictFlags {
  model: string;
  data: string;
  label?: string | undefined;
  out?: string | undefined;
  backend?: string | undefined;
}

/**
 * `headstart predict`: the predicted label (in the data's original labels) and its probability
 * (a softmax of the outputs when the model outputs logits), per sample. The data is streamed in chunks and each chunk's rows written as they come, so files
 * larger than memory work; an --out file appears only once complete.
 */
export async function predict(flags: PredictFlags): Promise<void> {
  if (flags.out) {
    const inputs = [
      ...flagPaths({ '--model': flags.model, '--data': flags.data }),
      ...(await recordedBase(flags.model, 'the --model adapter')),
    ];
    await checkOutput({ flag: '--out', path: flags.out }, inputs);
  }
  const reporter = createReporter({ json: false });
  const { checkpoint, model } = await loadModel(flags.model, flags.backend, reporter);
  const { spec, labels, featureNames, preprocessing, tokenizer } = checkpoint.manifest;
  if (!labels) throw new CliError(`${flags.model}: the checkpoint has no label map; it is not a classifier`);
  const { signal, dispose } = interruptSignal();
  let output: TextOutput | undefined;
  let written = 0;
  try {
    output = flags.out ? await atomicFileOutput(flags.out) : stdoutOutput();
    const format = flags.out?.endsWith('.jsonl') === true ? jsonlRow : csvRow;
    // A text model's checkpoint holds its tokenizer: raw text is tokenised as it was for training.
    const chunks = streamModelData(
      flags.data,
      { featureNames, inputShape: spec.inputShape, preprocessing, tokenizer, file: flags.model },
      { label: flags.label, labelled: false, signal },
    );
    for await (const chunk of chunks) {
      const probs = await classProbabilitiesOf(model, chunk, 0, chunk.size, labels.length);
      const best = argmaxRows(probs, labels.length);
      // The header goes out with the first rows, so data refused at its start prints nothing.
      let text = written === 0 && format === csvRow ? 'index,label,probability\n' : '';
      for (let i = 0; i < chunk.size; i++) text += format(written + i, labels[best[i]!]!, probs[i * labels.length + best[i]!]!);
      written += chunk.size;
      if (!(await output.write(text))) break;
    }
    await output.commit();
  } catch (error) {
    await output?.discard();
    throw signal.aborted
      ? new HeadstartError('INTERRUPTED', `interrupted after ${written} predictions${flags.out ? `; ${flags.out} was not written` : ''}`)
      : error;
  } finally {
    dispose();
    model.dispose();
  }
  if (flags.out) process.stderr.write(`wrote ${written} predictions to ${flags.out}\n`);
}

function csvRow(index: number, label: Label, probability: number): string {
  return `${index},${csvCell(String(label))},${probability.toFixed(6)}\n`;
}

function jsonlRow(index: number, label: Label, probability: number): string {
  return `${JSON.stringify({ index, label, probability })}\n`;
}

function csvCell(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
