import type { Dataset } from '../data/dataset.js';
import { DataError } from '../errors.js';

/**
 * Refuse training data of a single class: every strategy trains a classifier (its result has a
 * label map), and a classifier of one class learns nothing. A label selection (a pipeline
 * stage's `labels`) can narrow the data to one class, so this is checked after it.
 * @throws DataError naming the data file and the one label.
 */
export function checkSeveralClasses(train: Pick<Dataset, 'labelMap' | 'source'>): void {
  const labels = train.labelMap;
  if (labels?.length !== 1) return;
  throw new DataError(train.source.file, `only one class (${String(labels[0])}) in the training labels; a classifier needs at least two`);
}
