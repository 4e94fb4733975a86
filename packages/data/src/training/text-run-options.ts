import type { StartingPoint } from '@headstart/core';

/**
 * The options that decide whether a run is on text, by their `train()` names (the CLI's flags are
 * the same in kebab case: `maxLength` is `--max-length`). `headstart train`, `headstart lr-find`,
 * pipeline stages and `train()` all read this one table through {@link isTextRunAsked}.
 */
export const TEXT_RUN_OPTIONS = {
  /** Read only by a text run: refused without text rather than ignored. */
  textOnly: ['tokenizer', 'maxLength', 'vocabSize', 'tokenCache'],
  /** Change float features: refused for text rather than ignored. */
  featureOnly: ['scale', 'standardize', 'inputShape', 'augment'],
} as const;

/** Options that say how to read a text file: refused beside data that is already tokenised. */
export const TEXT_FILE_OPTIONS = ['textColumn', ...TEXT_RUN_OPTIONS.textOnly] as const;

/** An option {@link isTextRunAsked} looks at, by its `train()` name. */
export type TextRunOption = 'textColumn' | (typeof TEXT_RUN_OPTIONS)['textOnly'][number] | (typeof TEXT_RUN_OPTIONS)['featureOnly'][number];

/**
 * The `headstart train` flag of each option (and of the starting model, `from`), as refusals name
 * them; the keys are `train()`'s names, which its refusals use as they are.
 */
export const TEXT_RUN_FLAGS = {
  textColumn: '--text-column',
  tokenizer: '--tokenizer',
  maxLength: '--max-length',
  vocabSize: '--vocab-size',
  tokenCache: '--token-cache/--no-token-cache',
  scale: '--scale',
  standardize: '--standardize',
  inputShape: '--input-shape',
  augment: '--augment',
  from: '--from',
} as const satisfies Record<TextRunOption | 'from', string>;

/** What a run was asked, as far as {@link isTextRunAsked} looks: an option is given when it is not undefined. */
export type TextRunAsk = { readonly [name in TextRunOption]?: unknown };

/** How the CLI or `train()` words a refusal. */
export interface TextRunWording {
  /** An option as messages name it: `--max-length`, or `maxLength`. */
  name(option: TextRunOption | 'from'): string;
  /** What asks for text, after "give": `--text-column COLUMN (the column holding the text)`. */
  askForText: string;
  /** Throws the refusal `message` (one line naming the option) as the caller's error. */
  refuse(message: string): never;
}

/**
 * Whether a run is on text: its data is already tokenised (`tokenised`, `train()` given a
 * `TokenDataset`), `textColumn` is given, or the starting model records a tokenizer. Options of
 * the other kind are refused: text options without text, float-feature options with it, and a
 * starting model of float features for text.
 * @param tokenised whether the data given is token sequences; undefined when it is a file.
 * @throws whatever `wording.refuse` throws, naming the option.
 */
export function isTextRunAsked(
  ask: TextRunAsk,
  from: StartingPoint | undefined,
  tokenised: boolean | undefined,
  wording: TextRunWording,
): boolean {
  const text = tokenised ?? (ask.textColumn !== undefined || from?.manifest?.tokenizer !== undefined);
  if (!text) {
    const option = TEXT_RUN_OPTIONS.textOnly.find((name) => ask[name] !== undefined);
    if (option) wording.refuse(`${wording.name(option)}: only for text data; give ${wording.askForText}`);
    return false;
  }
  const feature = TEXT_RUN_OPTIONS.featureOnly.find((name) => ask[name] !== undefined);
  if (feature)
    wording.refuse(`${wording.name(feature)}: applies to numeric features, not text (${wording.name('textColumn')}); leave it out`);
  if (from && !from.manifest?.tokenizer && !from.spec.inputs) {
    const features = from.spec.inputShape.reduce((a, b) => a * b, 1);
    wording.refuse(`${wording.name('from')} ${from.file}: takes ${features} float features per sample, not text`);
  }
  return true;
}
