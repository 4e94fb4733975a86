import {
  HeadstartError,
  MAX_SEED,
  type AnyStrategy,
  type Backend,
  type Dataset,
  type TokenDataset,
  type StartingPoint,
  type TrainingEvent,
} from '@headstart/core';

/**
 * What {@link train} takes. `data`, `strategy` and `backend` are required; everything else has the
 * default `headstart train` has. Unknown names are refused, not ignored.
 */
export interface TrainOptions {
  /**
   * Labelled training data: a `Dataset` (from `loadDataset`), a `TokenDataset` (tokenised text, from
   * `loadTextDataset`), or a file any registered loader reads (`--data`); a CSV or JSONL of text with `textColumn`.
   */
  data: Dataset | TokenDataset | string;
  /** A registered strategy's name (`full-retrain`, `continued`, …) or a strategy object (`--strategy`). */
  strategy: string | AnyStrategy;
  /** The backend to train on, e.g. `createOnnxBackend()` (`--backend`). */
  backend: Backend;
  /** The model to start from: a checkpoint path, or a starting point you built (`--from`). */
  from?: string | StartingPoint | undefined;
  /** Validation data (`--val`), of the same kind as `data`; without it a share `valSplit` of `data` is held out. */
  val?: Dataset | TokenDataset | string | undefined;
  /** Share of `data` held out for validation when there is no `val`: 0 ≤ n < 1, default 0.1 (`--val-split`). */
  valSplit?: number | undefined;
  /** Unlabelled data, for strategies that pre-train on it (`--unlabeled`), of the same kind as `data` (text for `objective: 'mlm'`). */
  unlabeled?: Dataset | TokenDataset | string | undefined;
  /** The label column of files given by path; default `label` (`--label`). */
  label?: string | undefined;
  /** The architecture, when not the starting model's or the default MLP (`--model`); validated like a spec file. */
  model?: unknown;
  /** Epochs (`--epochs`); default the strategy's. */
  epochs?: number | undefined;
  /** Learning rate, or `'auto'` for an lr-find range test (`--lr`); default the strategy's. */
  lr?: number | 'auto' | undefined;
  /** Batch size (`--batch-size`); default the strategy's. */
  batchSize?: number | undefined;
  /** Any other option of the strategy, by name (`--set key=value`): `{ schedule: 'cosine', patience: 5 }`. */
  options?: Record<string, unknown> | undefined;
  /** Divide every feature by this factor, fitted into the checkpoint's preprocessing (`--scale`). */
  scale?: number | undefined;
  /** Standardize each feature with the training set's statistics (`--standardize`). */
  standardize?: boolean | undefined;
  /** Train on text: the column (CSV) or field (JSONL) of the `data` file holding it (`--text-column`). */
  textColumn?: string | undefined;
  /** Text: a Hugging Face `tokenizer.json`; default a vocabulary built from `data`'s texts, kept in the checkpoint (`--tokenizer`). */
  tokenizer?: string | undefined;
  /** Text: tokens a sequence; default 128, or the starting model's (`--max-length`). */
  maxLength?: number | undefined;
  /** Text: most tokens of the vocabulary built from `data`; default 8000 (`--vocab-size`). */
  vocabSize?: number | undefined;
  /**
   * Text: the folder tokenised files are cached in (`--token-cache`), or false for none
   * (`--no-token-cache`); default `$HEADSTART_CACHE/tokens`, else `$XDG_CACHE_HOME/headstart/tokens` or
   * `~/.cache/headstart/tokens`.
   */
  tokenCache?: string | false | undefined;
  /** Image augmentation of the training batches: `flip,crop=2` (`--augment`). */
  augment?: string | undefined;
  /** Seed of everything random (split, initial weights, batch order); default 42 (`--seed`). */
  seed?: number | undefined;
  /** Device to compute on: `cpu` (default), `cuda`, `cuda:1` (`--device`). */
  device?: string | undefined;
  /** Training events (epochs, metrics, logs) as they happen; without it training is quiet. */
  onEvent?: ((event: TrainingEvent) => void) | undefined;
  /** Stops training when aborted (with an `INTERRUPTED` error; nothing is saved). */
  signal?: AbortSignal | undefined;
}

/** Every option name {@link train} takes, in the order its errors list them. */
const OPTION_NAMES = [
  'data',
  'strategy',
  'backend',
  'from',
  'val',
  'valSplit',
  'unlabeled',
  'label',
  'model',
  'epochs',
  'lr',
  'batchSize',
  'options',
  'scale',
  'standardize',
  'augment',
  'textColumn',
  'tokenizer',
  'maxLength',
  'vocabSize',
  'tokenCache',
  'seed',
  'device',
  'onEvent',
  'signal',
] as const satisfies readonly (keyof TrainOptions)[];

/** The strategy options {@link train} takes by name as well as in `options`. */
export const STRATEGY_OPTION_NAMES = ['epochs', 'lr', 'batchSize'] as const;

/** A refusal of `train()` input: one line naming the option. */
export function badOption(name: string, problem: string): HeadstartError {
  return new HeadstartError('BAD_INPUT', `train: ${name}: ${problem}`);
}

/**
 * Check what {@link train} was given, before anything loads: the option names, and the type of
 * each option that `train` itself reads (strategy options are the strategy's schema's to check).
 * @throws HeadstartError `BAD_INPUT` naming the first option at fault.
 */
export function checkTrainOptions(given: unknown): TrainOptions {
  if (typeof given !== 'object' || given === null)
    throw new HeadstartError('BAD_INPUT', 'train: expected an options object ({ data, strategy, backend, … })');
  const options = given as Record<string, unknown>;
  const unknown = Object.keys(options).find((key) => !(OPTION_NAMES as readonly string[]).includes(key));
  if (unknown !== undefined) throw badOption(unknown, `unknown option; expected one of ${OPTION_NAMES.join(', ')}`);
  for (const [name, check] of Object.entries(CHECKS)) {
    const value = options[name];
    if (value === undefined) {
      if (REQUIRED.has(name)) throw badOption(name, `required (${check.expected})`);
      continue;
    }
    if (!check.accepts(value)) throw badOption(name, `expected ${check.expected}, got ${describe(value)}`);
  }
  if (options.val !== undefined && options.valSplit !== undefined)
    throw badOption('valSplit', 'val and valSplit both choose the validation data (a share of data, or a set); give one of them');
  if (options.scale !== undefined && options.standardize === true)
    throw badOption('standardize', 'scale and standardize both choose the preprocessing; give one of them');
  const inner = (options.options ?? {}) as Record<string, unknown>;
  const twice = STRATEGY_OPTION_NAMES.find((name) => options[name] !== undefined && inner[name] !== undefined);
  if (twice) throw badOption(twice, `also given as options.${twice}; give it once`);
  return options as unknown as TrainOptions;
}

interface Check {
  expected: string;
  accepts(value: unknown): boolean;
}

const REQUIRED = new Set(['data', 'strategy', 'backend']);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isDataset = (v: unknown): boolean => isObject(v) && v.features instanceof Float32Array && Number.isInteger(v.size);
const isTokens = (v: unknown): boolean => isObject(v) && v.kind === 'tokens' && v.inputIds instanceof Int32Array;
const DATA: Check = {
  expected: 'a Dataset (from loadDataset), a TokenDataset (from loadTextDataset) or a file path',
  accepts: (v) => typeof v === 'string' || isDataset(v) || isTokens(v),
};
const POSITIVE_INTEGER: Check = { expected: 'a whole number > 0', accepts: (v) => Number.isInteger(v) && (v as number) > 0 };

const CHECKS: Record<string, Check> = {
  data: DATA,
  strategy: {
    expected: "a strategy's name or a strategy object",
    accepts: (v) => typeof v === 'string' || (isObject(v) && typeof v.run === 'function' && typeof v.name === 'string'),
  },
  backend: {
    expected: 'a backend object, such as createOnnxBackend()',
    accepts: (v) => isObject(v) && typeof v.probe === 'function' && typeof v.createModel === 'function',
  },
  from: {
    expected: 'a checkpoint path or a starting point { file, spec, weights }',
    accepts: (v) => typeof v === 'string' || (isObject(v) && isObject(v.spec) && v.weights instanceof Map),
  },
  val: DATA,
  valSplit: { expected: 'a fraction from 0 up to (not including) 1', accepts: (v) => typeof v === 'number' && v >= 0 && v < 1 },
  unlabeled: DATA,
  label: { expected: 'a column name', accepts: (v) => typeof v === 'string' && v.length > 0 },
  model: { expected: 'a model spec object', accepts: isObject },
  epochs: POSITIVE_INTEGER,
  lr: { expected: "a number > 0 or 'auto'", accepts: (v) => v === 'auto' || (typeof v === 'number' && Number.isFinite(v) && v > 0) },
  batchSize: POSITIVE_INTEGER,
  options: { expected: 'an object of strategy options', accepts: (v) => isObject(v) && !Array.isArray(v) },
  scale: {
    expected: 'a number > 0, at most 3.4e38 (float32)',
    accepts: (v) => typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= 3.4028234663852886e38,
  },
  standardize: { expected: 'true or false', accepts: (v) => typeof v === 'boolean' },
  augment: { expected: 'an augmentation such as flip,crop=2', accepts: (v) => typeof v === 'string' },
  textColumn: { expected: 'a column name', accepts: (v) => typeof v === 'string' && v.length > 0 },
  tokenizer: { expected: 'the path of a tokenizer.json', accepts: (v) => typeof v === 'string' && v.length > 0 },
  maxLength: POSITIVE_INTEGER,
  vocabSize: { expected: 'a whole number > 5', accepts: (v) => Number.isInteger(v) && (v as number) > 5 },
  tokenCache: { expected: 'a folder path, or false', accepts: (v) => v === false || (typeof v === 'string' && v.length > 0) },
  seed: {
    expected: `a whole number from 0 to ${MAX_SEED}`,
    accepts: (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= MAX_SEED,
  },
  device: { expected: 'a device such as cpu or cuda:1', accepts: (v) => typeof v === 'string' },
  onEvent: { expected: 'a function', accepts: (v) => typeof v === 'function' },
  signal: { expected: 'an AbortSignal', accepts: (v) => v instanceof AbortSignal },
};

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'an array';
  return value === null ? 'null' : typeof value === 'object' ? 'an object' : typeof value;
}
