import { HeadstartError } from '../errors.js';
import type { Dataset } from './dataset.js';

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
export function checkPlanData(inputShape: readonly number[], plan: { train: Dataset; val?: Dataset | undefined }): void {
  checkSampleSize(inputShape, plan.train, 'training data');
  if (plan.val) checkSampleSize(inputShape, plan.val, 'validation data');
}
