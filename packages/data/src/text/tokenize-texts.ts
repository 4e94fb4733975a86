import type { TokenDataset, TokenizerPreprocessing } from '@headstart/core';
import { TextTokenizer } from './text-tokenizer.js';

/**
 * Texts in memory tokenised as a checkpoint's tokenizer record says (its `tokenizer.json`,
 * `maxLength` and padding), unlabelled: what a text model predicts on. `where` names the model in
 * messages and is the dataset's source.
 */
export function tokenizeTexts(texts: readonly string[], record: TokenizerPreprocessing, where: string): TokenDataset {
  const tokenizer = TextTokenizer.fromPreprocessing(record, where);
  const t = record.maxLength;
  const inputIds = new Int32Array(texts.length * t);
  const attentionMask = new Int32Array(texts.length * t);
  texts.forEach((text, row) => tokenizer.encodeInto(text, t, inputIds, attentionMask, row));
  return {
    kind: 'tokens',
    size: texts.length,
    sequenceLength: t,
    inputIds,
    attentionMask,
    tokenizer: record,
    source: { file: where, format: 'texts' },
  };
}
