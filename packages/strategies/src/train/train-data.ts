import { featureData, HeadstartError, type Dataset, type Preprocessing, type StrategyData } from '@headstart/core';
import {
  alignFeatures,
  applyPreprocessing,
  DEFAULT_VALIDATION_SHARE,
  holdOutValidation,
  imageAugmentation,
  loadDataset,
  parseAugmentation,
  registerLoaders,
  relabel,
  trainingPreprocessing,
  type InheritedData,
} from '@headstart/data';
import { badOption, type TrainOptions } from './train-options.js';

/**
 * The data of a {@link train} run, as `headstart train` prepares it: files read (in the starting
 * model's column order and input shape), validation from `val` or a seeded stratified share of
 * `data`, preprocessing fitted on the training set (or the starting model's) and applied to every split.
 */
export async function trainData(
  asked: TrainOptions,
  inherited: InheritedData | undefined,
  seed: number,
): Promise<{ data: StrategyData; preprocessing: Preprocessing }> {
  const featureNames = inherited?.featureNames;
  const common = {
    label: asked.label ?? 'label',
    ...(inherited?.inputShape ? { sampleShape: inherited.inputShape } : {}),
    ...(featureNames ? { featureNames } : {}),
  };
  if ([asked.data, asked.val, asked.unlabeled].some((d) => typeof d === 'string')) registerLoaders();
  let train =
    typeof asked.data === 'string'
      ? await loadDataset(asked.data, { ...common, labelled: true })
      : alignFeatures(featureData(asked.data, 'train: data'), featureNames);
  if (!train.labels || !train.labelMap) throw badOption('data', 'the training data has no labels');
  let val: Dataset | undefined;
  if (asked.val !== undefined) {
    const given =
      typeof asked.val === 'string'
        ? await loadDataset(asked.val, { ...common, labelled: true, labelMap: train.labelMap })
        : relabel(featureData(asked.val, 'train: val'), train.labelMap, 'train: val');
    val = alignFeatures(given, train.featureNames);
  } else {
    ({ train, val } = holdOutValidation(train, asked.valSplit ?? DEFAULT_VALIDATION_SHARE, seed));
  }
  const unlabeled =
    asked.unlabeled === undefined
      ? undefined
      : alignFeatures(
          typeof asked.unlabeled === 'string'
            ? await loadDataset(asked.unlabeled, { ...common, labelled: false })
            : featureData(asked.unlabeled, 'train: unlabeled'),
          train.featureNames,
        );
  const augment = asked.augment === undefined ? undefined : augmentation(asked.augment, train.sampleShape);
  const preprocessing = trainingPreprocessing(train, { scale: asked.scale, standardize: asked.standardize }, inherited?.preprocessing);
  const apply = (d: Dataset): Dataset => applyPreprocessing(preprocessing, d);
  return {
    data: {
      train: apply(train),
      ...(val ? { val: apply(val) } : {}),
      ...(unlabeled ? { unlabeled: apply(unlabeled) } : {}),
      ...(augment ? { augment } : {}),
    },
    preprocessing,
  };
}

function augmentation(text: string, sampleShape: readonly number[]) {
  try {
    return imageAugmentation(parseAugmentation(text), sampleShape);
  } catch (error) {
    if (error instanceof HeadstartError) throw badOption('augment', `${text}: ${error.message}`);
    throw error;
  }
}
