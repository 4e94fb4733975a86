import { HeadstartError } from '../errors.js';
import type { Model } from '../backend.js';
import type { Dataset } from './dataset.js';
import { isTokenDataset } from './token-dataset.js';
import { checkTokenInputs, type TrainingData } from './training-data.js';

const sizeOfShape = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** One sample of `shape`, for messages: `32 features` when flat, else `shape [8, 8, 1]`. */
export function describeSample(shape: readonly number[]): string {
  return shape.length === 1 ? `${shape[0]} features` : `shape [${shape.join(', ')}]`;
}

/**
 * Check that `data`'s samples have as many values as the model's input takes (backends read
 * samples as flat buffers, so only the count matters).
 * @throws HeadstartError (BAD_INPUT) naming both counts and the data's file:
 * `the model takes 32 features per sample; the training data has 64 (file digits.csv)`.
 */
export function checkSampleSize(inputShape: readonly number[], data: Pick<Dataset, 'sampleShape' | 'source'>, role: string): void {
  const [takes, has] = [sizeOfShape(inputShape), sizeOfShape(data.sampleShape)];
  if (takes === has) return;
  const flat = inputShape.length === 1 && data.sampleShape.length === 1;
  const what = flat
    ? `the model takes ${takes} features per sample; the ${role} has ${has}`
    : `the model takes samples of ${describeSample(inputShape)} (${takes} values); the ${role} has samples of ${describeSample(data.sampleShape)} (${has} values)`;
  throw new HeadstartError('BAD_INPUT', `${what} (file ${data.source.file})`);
}

/**
 * Check a fit plan's training and validation data fit the model's input before any step, so a
 * mismatch names the feature counts and the file rather than a batch's buffer length.
 */
export function checkPlanData(
  model: Pick<Model, 'spec' | 'trainingInputShape'>,
  plan: { train: TrainingData; val?: TrainingData | undefined },
): void {
  checkData(model, plan.train, 'training data');
  if (plan.val) checkData(model, plan.val, 'validation data');
}

function checkData(model: Pick<Model, 'spec' | 'trainingInputShape'>, data: TrainingData, role: string): void {
  if (isTokenDataset(data)) return checkTokenInputs(model.spec, data, role);
  // A frozen stack's trainer takes the base's float features even when the model starts from token ids.
  if (model.spec.inputs && !model.trainingInputShape) {
    const takes = model.spec.inputs.map((input) => `${input.name} [${input.shape}]`).join(', ');
    throw new HeadstartError(
      'BAD_INPUT',
      `the model takes named inputs (${takes}); the ${role} holds float features (file ${data.source.file})`,
    );
  }
  checkSampleSize(model.trainingInputShape ?? model.spec.inputShape, data, role);
}
