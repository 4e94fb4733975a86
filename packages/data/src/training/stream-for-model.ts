import type { Dataset, Label, Preprocessing, TokenizerPreprocessing, TrainingData } from '@headstart/core';
import { streamTextChunks } from '../text/load-text-dataset.js';
import { TextTokenizer } from '../text/text-tokenizer.js';
import { streamChunks } from '../load-dataset.js';
import { alignFeatures } from '../transforms/align-features.js';
import { applyPreprocessing } from '../transforms/preprocess.js';

/** What {@link streamForModel} needs to know of a checkpoint. */
export interface ModelDataNeeds {
  /** Its label map: labels are matched against it (`"3"` is `3`). */
  labels?: Label[] | undefined;
  /** Its input columns, in order: named columns are matched by name. */
  featureNames?: string[] | undefined;
  inputShape: number[];
  preprocessing: Preprocessing;
}

/**
 * Stream labelled or unlabelled data for a trained model in chunks of `chunkSize` samples, so a
 * file larger than memory can be evaluated or predicted on: its label map, column order, input
 * shape and preprocessing applied to every chunk. A label the model never saw is an error naming
 * the line; a column it never saw, or one it needs that is missing, an error naming both.
 */
export async function* streamForModel(
  file: string,
  model: ModelDataNeeds,
  options: { label?: string | undefined; labelled: boolean | 'optional'; chunkSize?: number | undefined; signal?: AbortSignal | undefined },
): AsyncGenerator<Dataset> {
  const chunks = streamChunks(file, {
    label: options.label ?? 'label',
    labelled: options.labelled,
    sampleShape: model.inputShape,
    chunkSize: options.chunkSize ?? 1024,
    ...(model.featureNames ? { featureNames: model.featureNames } : {}),
    ...(model.labels ? { labelMap: model.labels } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  // CSV puts columns in the model's order itself; alignFeatures covers plugin loaders with named columns that do not.
  for await (const chunk of chunks) yield applyPreprocessing(model.preprocessing, alignFeatures(chunk, model.featureNames));
}

/**
 * {@link streamForModel} for a model of either kind: a text model's checkpoint records its
 * tokenizer, and its data is the checkpoint's text column tokenised with it, chunk by chunk
 * (`streamTextChunks`); any other model's data is streamed as {@link streamForModel} does.
 * @param model what the checkpoint records, with `tokenizer` and `file` (the checkpoint, for messages) for text.
 */
export async function* streamModelData(
  file: string,
  model: ModelDataNeeds & { tokenizer?: TokenizerPreprocessing | undefined; file?: string | undefined },
  options: { label?: string | undefined; labelled: boolean | 'optional'; chunkSize?: number | undefined; signal?: AbortSignal | undefined },
): AsyncGenerator<TrainingData> {
  if (!model.tokenizer) return yield* streamForModel(file, model, options);
  const record = model.tokenizer;
  yield* streamTextChunks(file, {
    tokenizer: TextTokenizer.fromPreprocessing(record, model.file ?? 'the model'),
    maxLength: record.maxLength,
    text: record.textColumn,
    label: options.label ?? 'label',
    labelled: options.labelled,
    chunkSize: options.chunkSize ?? 1024,
    ...(model.labels ? { labelMap: model.labels } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
