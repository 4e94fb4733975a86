import type { Batch } from '../backend.js';
import { HeadstartError } from '../errors.js';
import type { ModelSpec } from '../spec/model-spec.js';
import { sizeOf } from '../tensors.js';
import { makeBatch } from './batches.js';
import { datasetDigest, tokenDatasetDigest } from './dataset-digest.js';
import type { Dataset } from './dataset.js';
import { makeTokenBatch } from './token-batches.js';
import { isTokenDataset, type TokenDataset } from './token-dataset.js';

/** What a run trains on: float features ({@link Dataset}) or token sequences ({@link TokenDataset}). */
export type TrainingData = Dataset | TokenDataset;

/** The names a token batch's inputs go by: Hugging Face's, so an imported encoder's inputs bind by name. */
export const TOKEN_INPUTS = { ids: 'input_ids', mask: 'attention_mask' } as const;

/**
 * The batch of samples `order[start..start+batchSize)`: {@link makeBatch} for features, and for
 * token sequences a batch whose named inputs `input_ids` and `attention_mask` (`[size, T]`) hold
 * {@link makeTokenBatch}'s rows, `x` empty. Target `none` (token sequences only) leaves out the
 * class labels: masked-language modelling's batch transform writes its own targets.
 */
export function makeTrainingBatch(
  data: TrainingData,
  order: ArrayLike<number>,
  start: number,
  batchSize: number,
  target: 'labels' | 'inputs' | 'none',
): Batch {
  if (!isTokenDataset(data)) {
    if (target === 'none')
      throw new HeadstartError('NOT_SUPPORTED', `${data.source.file}: batches without targets are for token sequences`);
    return makeBatch(data, order, start, batchSize, target);
  }
  if (target === 'inputs')
    throw new HeadstartError('NOT_SUPPORTED', `${data.source.file}: a model cannot reconstruct token sequences as its output`);
  return tokenBatch(makeTokenBatch(data, order, start, batchSize, target));
}

/** A {@link TokenBatch} as the backends take it: named inputs, `x` empty. */
function tokenBatch(made: ReturnType<typeof makeTokenBatch>): Batch {
  return {
    x: new Float32Array(0),
    size: made.size,
    inputs: { [TOKEN_INPUTS.ids]: made.inputIds, [TOKEN_INPUTS.mask]: made.attentionMask },
    ...(made.labels ? { labels: made.labels } : {}),
  };
}

/** The rows `start..start+count` of token sequences as named inputs, for a model's `predictInputs`. */
export function tokenInputs(data: TokenDataset, start: number, count: number): Record<string, Int32Array> {
  const t = data.sequenceLength;
  return {
    [TOKEN_INPUTS.ids]: data.inputIds.subarray(start * t, (start + count) * t),
    [TOKEN_INPUTS.mask]: data.attentionMask.subarray(start * t, (start + count) * t),
  };
}

/** sha-256 of the data as training sees it ({@link datasetDigest} or {@link tokenDatasetDigest}), for `--resume`. */
export function trainingDigest(data: TrainingData): string {
  return isTokenDataset(data) ? tokenDatasetDigest(data) : datasetDigest(data);
}

/** Input values one sample of the data holds (features, or ids and mask), bounding the bytes of a batch. */
export function valuesPerSample(data: TrainingData): number {
  return isTokenDataset(data) ? 2 * data.sequenceLength : sizeOf(data.sampleShape);
}

/**
 * Check a model can take token sequences of this data: it has named int32 inputs `input_ids` and
 * `attention_mask` of `[T]` (any other named input it has would be missing from the batches).
 * @throws HeadstartError (BAD_INPUT) naming the data's file, what the model takes and what the data holds.
 */
export function checkTokenInputs(spec: ModelSpec, data: TokenDataset, role: string): void {
  const t = data.sequenceLength;
  const takes = spec.inputs?.map((input) => `${input.name} [${input.shape}]`).join(', ');
  const inputs = spec.inputs ?? [];
  const tokenInput = (input: (typeof inputs)[number]): boolean =>
    (input.name === TOKEN_INPUTS.ids || input.name === TOKEN_INPUTS.mask) && input.dtype === 'int32' && sizeOf(input.shape) === t;
  const fits = inputs.every(tokenInput) && inputs.some((input) => input.name === TOKEN_INPUTS.ids);
  if (fits) return;
  const model = takes ? `the model takes ${takes}` : `the model takes ${sizeOf(spec.inputShape)} float features per sample`;
  throw new HeadstartError(
    'BAD_INPUT',
    `${model}; the ${role} is text of ${t} tokens a sequence (input_ids and attention_mask [${t}]) (file ${data.source.file})`,
  );
}

/**
 * The data as float features, for a strategy (or step) that only works on them.
 * @throws HeadstartError (NOT_SUPPORTED) naming `who` and the file when the data is text.
 */
export function featureData(data: TrainingData, who: string): Dataset {
  if (isTokenDataset(data))
    throw new HeadstartError('NOT_SUPPORTED', `${who} trains on float features (images, tables); ${data.source.file} is text`);
  return data;
}
