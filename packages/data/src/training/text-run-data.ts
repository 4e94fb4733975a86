import type { StartingPoint, StrategyData } from '@headstart/core';
import { tokenCacheDir } from '../text/token-cache-dir.js';
import { type TokenCacheLog, tokenCacheLog } from '../text/token-cache-log.js';
import { loadTextTrainingData, startingText, type TextTrainingAsk } from './text-training-data.js';

/**
 * What a text run was asked, by `train()`'s names, numbers already checked: `headstart train`'s
 * flags, a pipeline stage's fields and `train()`'s options alike.
 */
export type TextRunDataAsk = Omit<
  TextTrainingAsk,
  'textColumn' | 'label' | 'inherited' | 'bareEncoder' | 'names' | 'cacheDir' | 'cacheReadOnly' | 'onCache'
> & {
  /** The text column or field; default the starting model's, else `text`. */
  textColumn?: string | undefined;
  /** The label column or field; default `label`. */
  label?: string | undefined;
  /** Where tokenised files are cached: a folder, false for none, default the user's cache (see `tokenCacheDir`). */
  tokenCache?: string | false | undefined;
};

/** How the caller of {@link loadTextRun} names options and hears of the token cache. */
export interface TextRunDataEnv {
  /** An option as refusals name it: `--max-length`, or `train: maxLength`. */
  name(option: keyof TextTrainingAsk['names']): string;
  /** Told, for each file, whether its tokens came from the cache, as the log line a run prints. */
  log?: ((event: TokenCacheLog) => void) | undefined;
  /** The run writes nothing (`--dry-run`, `lr-find`): the cache is read, never written. */
  writesNothing?: boolean | undefined;
}

/**
 * The tokenised data of a text run, as `headstart train --text-column` and `train({ textColumn })`
 * both read it: {@link loadTextTrainingData} with the starting model's text column and tokenizer,
 * and tokens cached where {@link TextRunDataAsk.tokenCache} says.
 */
export function loadTextRun(ask: TextRunDataAsk, from: StartingPoint | undefined, env: TextRunDataEnv): Promise<StrategyData> {
  const { textColumn, label, tokenCache, ...rest } = ask;
  return loadTextTrainingData({
    ...rest,
    textColumn: textColumn ?? from?.manifest?.tokenizer?.textColumn ?? 'text',
    label: label ?? 'label',
    ...startingText(from),
    names: { tokenizer: env.name('tokenizer'), maxLength: env.name('maxLength'), vocabSize: env.name('vocabSize') },
    cacheDir: tokenCacheDir(tokenCache),
    cacheReadOnly: env.writesNothing,
    onCache: (event) => env.log?.(tokenCacheLog(event)),
  });
}
