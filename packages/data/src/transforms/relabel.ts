import { HeadstartError, type Dataset, type Label } from '@headstart/core';
import { labelIndex } from './label-map.js';
import { shortList } from './short-list.js';

/**
 * `dataset` with its class indices into `labelMap` instead of its own label map (`"3"` matches
 * `3`), as a file read with `loadDataset(file, { labelMap })` would have them: a validation or
 * test set loaded on its own, matched to a model's classes. Unlabelled data is returned as is.
 * @param where how the error names the data (`val`, `evaluate`).
 * @throws HeadstartError `BAD_INPUT` naming a label `labelMap` does not hold.
 */
export function relabel(dataset: Dataset, labelMap: readonly Label[], where: string): Dataset {
  if (!dataset.labels || !dataset.labelMap) return dataset;
  const own = dataset.labelMap;
  const index = own.map((label) => labelIndex(labelMap, label));
  const labels = new Int32Array(dataset.size);
  for (let i = 0; i < dataset.size; i++) {
    const mapped = index[dataset.labels[i]!]!;
    if (mapped < 0) {
      const label = own[dataset.labels[i]!]!;
      throw new HeadstartError(
        'BAD_INPUT',
        `${where}: sample ${i} has label ${JSON.stringify(label)}, which is not one of the model's labels (${shortList(labelMap)})`,
      );
    }
    labels[i] = mapped;
  }
  return { ...dataset, labels, labelMap: [...labelMap] };
}
