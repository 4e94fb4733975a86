import type { Batch } from '../backend.js';
import { HeadstartError } from '../errors.js';

/** A {@link Batch.tokenLabels} value for a position outside the loss (PyTorch's `ignore_index`). */
export const IGNORE_TOKEN = -100;

/**
 * The batch's `tokenLabels` for `tokenCrossEntropy` on a model whose output is `[tokens, vocab]`,
 * checked: `size × tokens` values, each a vocabulary id or {@link IGNORE_TOKEN}. Every backend checks
 * them here, so an id a one-hot would silently drop (onnx's `OneHot` gives a zero row) is refused.
 * @throws HeadstartError (BAD_INPUT) naming what is missing or the first value out of range.
 */
export function tokenLabels(batch: Batch, tokens: number, vocab: number): Int32Array {
  const labels = batch.tokenLabels;
  if (!labels || labels.length !== batch.size * tokens)
    throw new HeadstartError(
      'BAD_INPUT',
      `tokenCrossEntropy needs ${batch.size}×${tokens} token labels in the batch (batch.tokenLabels), got ${labels?.length ?? 'none'}`,
    );
  const bad = labels.findIndex((id) => id !== IGNORE_TOKEN && !(id >= 0 && id < vocab));
  if (bad >= 0)
    throw new HeadstartError(
      'BAD_INPUT',
      `token label ${labels[bad]} (sample ${Math.floor(bad / tokens)}, token ${bad % tokens}) is neither a vocabulary id in 0..${vocab - 1} nor ${IGNORE_TOKEN} (ignored)`,
    );
  return labels;
}

/**
 * The `[tokens, vocab]` a `tokenCrossEntropy` model must output, from its output shape.
 * @throws HeadstartError (BAD_INPUT) when the output is not one row of logits per token.
 */
export function tokenOutputShape(outputShape: readonly number[]): { tokens: number; vocab: number } {
  if (outputShape.length !== 2)
    throw new HeadstartError(
      'BAD_INPUT',
      `loss tokenCrossEntropy needs a model whose output is [tokens, vocab] (a dense per token over the vocabulary), but it outputs [${outputShape}]`,
    );
  return { tokens: outputShape[0]!, vocab: outputShape[1]! };
}
