import { DEFAULT_TOKEN_CACHE_WHERE } from '@headstart/data';
import { type Command, Option } from 'commander';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** What a command that trains (`train`, `lr-find`) says of the flags whose meaning differs between them. */
export interface TrainingFlagWords {
  /** `--epochs`. */
  epochs: string;
  /** `--set`. */
  set: string;
}

/**
 * The flags `train` and `lr-find` share, so a range test runs on exactly the data, text, model and
 * strategy options the training it prepares would: strategy, data and validation, text, numeric
 * features, starting point and architecture, strategy options.
 */
export function addTrainingFlags(command: Command, words: TrainingFlagWords): Command {
  command
    .requiredOption('--strategy <name>', 'strategy: full-retrain, frozen-base, continued, pretrain-finetune, ...')
    .requiredOption('--data <file>', 'labelled training data (CSV, JSONL, IDX, or a folder of class folders of images)')
    .option('--val <file>', 'labelled validation data (default: a stratified split of --data, see --val-split)')
    .option('--val-split <fraction>', 'fraction of --data held out for validation when --val is not given (default: 0.1)')
    .option('--unlabeled <file>', 'unlabelled data for unsupervised pre-training')
    .option('--label <column>', 'label column or field', 'label')
    .option('--backend <name>', 'compute backend (default: the best one available)')
    .option('--from <file>', 'start from a checkpoint (.safetensors) or an imported model (.onnx, model.json)')
    .option('--epochs <n>', words.epochs)
    .option('--batch-size <n>', 'samples per step')
    .option('--seed <n>', 'random seed (initialisation, shuffling, splits)', '42')
    .addOption(new Option('--scale <k>', 'divide every feature by k').conflicts('standardize'))
    .option('--standardize', 'standardize features with statistics fitted on the training data')
    .option('--input-shape <h,w,c>', 'shape of one sample, e.g. 8,8,1 for 8x8 grey images')
    .option('--augment <list>', 'augment training images: flip, crop=PIXELS (pad and crop), shift=PIXELS, e.g. crop=1,shift=1')
    .option('--text-column <column>', 'train on text: the column (CSV) or field (JSONL) holding it')
    .option('--tokenizer <file>', 'text: a Hugging Face tokenizer.json (default: a vocabulary built from --data, kept in the checkpoint)')
    .option('--max-length <n>', "text: tokens a sequence, longer texts truncated (default: 128, or the --from model's)")
    .option('--vocab-size <n>', 'text: most tokens of the vocabulary built from --data (default: 8000)');
  return addTokenCacheFlags(command, 'text')
    .option('--head <layer>', 'first layer of the head (frozen-base, continued)')
    .option('--freeze <glob>', 'freeze parameters matching the glob (repeatable)', collect)
    .option('--model <file>', 'architecture as a ModelSpec (YAML or JSON)')
    .option('--set <key=value>', words.set, collect);
}

/** `--token-cache DIR` and `--no-token-cache`: for `headstart run` (its text stages share one cache), `train` and `lr-find` (`text`). */
export function addTokenCacheFlags(command: Command, subject = 'text stages'): Command {
  return command
    .option('--token-cache <dir>', `${subject}: where tokenised files are cached (default: ${DEFAULT_TOKEN_CACHE_WHERE})`)
    .option('--no-token-cache', `${subject}: tokenise without reading or writing the cache`);
}
