// @headstart/data: reading data sets into core's `Dataset` and cutting them up. The types
// (Dataset, DatasetLoader, LoadOptions, Label…) are core's contracts; this package holds the
// loaders, the image decoders, splits, label maps, preprocessing, and text: tokenizers (a Hugging
// Face tokenizer.json) and token-sequence datasets. Nothing registers on import:
// call registerLoaders() before loadDataset.
export { builtinLoaders, LOADERS_SOURCE, registerLoaders } from './register-loaders.js';
export { loadDataset, streamChunks, streamDataset, type LoadDatasetOptions } from './load-dataset.js';
export { csvLoader } from './loaders/csv-loader.js';
export { jsonlLoader, JSONL_FEATURE_FIELDS } from './loaders/jsonl-loader.js';
export { idxLoader, labelsFileFor } from './loaders/idx-loader.js';
export { imageFolderLoader } from './loaders/image-folder-loader.js';
export { IMAGE_EXTENSIONS } from './loaders/image-decode.js';
export {
  LabelMapBuilder,
  compareLabels,
  isNumericLabel,
  labelIndex,
  labelsFromIndices,
  type LabelMapOptions,
  type LabelledSamples,
} from './transforms/label-map.js';
export { applyPreprocessing, computePreprocessing, fitPreprocessing, type PreprocessingKind } from './transforms/preprocess.js';
export {
  filterByLabels,
  stratifiedSplit,
  subset,
  takePerClass,
  withoutLabels,
  type AnyDataset,
  type DatasetSplit,
} from './transforms/split.js';
export { concatUnlabeled, concatUnlabeledAny, concatUnlabeledTokens } from './transforms/concat.js';
export { uniqueSequences } from './transforms/unique-sequences.js';
export { alignFeatures } from './transforms/align-features.js';
export { sha256OfFile, sha256OfPath } from './records/file-hash.js';
export { FLOAT32_MAX, isDecimal } from './records/float32.js';
export { formatAugmentation, parseAugmentation, type AugmentSpec } from './augment/augment-spec.js';
export { moveImage, type ImageMove } from './augment/augment-image.js';
export { imageAugmentation } from './augment/image-augmentation.js';
export { readTokenizer, TextTokenizer, type TokenizerOptions } from './text/text-tokenizer.js';
export { parseTokenizerJson, TOKENIZER_MODEL_TYPES, type TokenizerJson } from './text/tokenizer-json.js';
export { buildVocabulary, VOCABULARY_SPECIALS, type BuiltVocabulary, type VocabularyOptions } from './text/build-vocabulary.js';
export { writeVocabulary } from './text/text-vocabulary-file.js';
export { readTextRows, textFormatOf, TEXT_FORMATS, type TextReadOptions, type TextRow } from './text/text-rows.js';
export { loadTextDataset, streamTextChunks, type TextDatasetOptions, type TokenCacheEvent } from './text/load-text-dataset.js';
export { CACHE_DIR_ENV, DEFAULT_TOKEN_CACHE_WHERE, defaultTokenCacheDir, tokenCacheDir } from './text/token-cache-dir.js';
export { type TokenCacheLog, tokenCacheLog } from './text/token-cache-log.js';
export { tokenizeTexts } from './text/tokenize-texts.js';
export { DEFAULT_VALIDATION_SHARE, holdOutValidation, labelBudget } from './training/training-splits.js';
export { inheritedFrom, type InheritedData } from './training/inherited-data.js';
export { DEFAULT_MAX_LENGTH, loadTextTrainingData, startingText, type TextTrainingAsk } from './training/text-training-data.js';
export {
  isTextRunAsked,
  TEXT_FILE_OPTIONS,
  TEXT_RUN_FLAGS,
  TEXT_RUN_OPTIONS,
  type TextRunAsk,
  type TextRunOption,
  type TextRunWording,
} from './training/text-run-options.js';
export { loadTextRun, type TextRunDataAsk, type TextRunDataEnv } from './training/text-run-data.js';
export { trainingPreprocessing, type PreprocessingAsk } from './training/training-preprocessing.js';
export { streamForModel, streamModelData, type ModelDataNeeds } from './training/stream-for-model.js';
export { relabel } from './transforms/relabel.js';
