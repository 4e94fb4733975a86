import { isTokenDataset } from '../data/token-dataset.js';
import { HeadstartError } from '../errors.js';
import type { StrategyData } from '../strategy.js';
import { sameShape } from '../tensors.js';
import { composeTransforms } from '../train/batch-transform.js';
import type { FitPlan } from '../train/fit-plan.js';

/**
 * `plan` with the data's augmentation before its own transform.
 * @throws HeadstartError `USAGE` when the phase trains on samples other than the data's (features cached from a frozen base).
 */
export function withAugmentation(plan: FitPlan, data: StrategyData): FitPlan {
  if (!data.augment) return plan;
  if (isTokenDataset(plan.train) || isTokenDataset(data.train))
    throw new HeadstartError('USAGE', `${data.augment.name}: augmentation changes images or features; the training data is text`);
  if (!sameShape(plan.train.sampleShape, data.train.sampleShape)) {
    throw new HeadstartError(
      'USAGE',
      `${data.augment.name}: phase "${plan.phase}" trains on samples of shape ${formatShape(plan.train.sampleShape)}, not on the data's ${formatShape(data.train.sampleShape)}, so it cannot augment them; leave out the augmentation for this strategy`,
    );
  }
  return { ...plan, transform: composeTransforms(data.augment, plan.transform) };
}

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
