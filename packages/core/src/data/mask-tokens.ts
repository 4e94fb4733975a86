import type { Batch } from '../backend.js';
import { IGNORE_TOKEN } from '../backend-kit/token-targets.js';
import type { TokenizerPreprocessing } from '../checkpoint/manifest.js';
import { HeadstartError } from '../errors.js';
import type { Rng } from '../rng.js';
import type { BatchTransform } from '../train/batch-transform.js';

/** The ids masking needs from a tokenizer: what `[MASK]` is, which ids are never masked, and the vocabulary's size. */
export interface MaskingTokens {
  /** Id of the mask token (`[MASK]`, `<mask>`). */
  maskId: number;
  /** Ids that are never chosen: the tokenizer's special tokens (`[CLS]`, `[SEP]`, `[PAD]`, `[UNK]`…). */
  specialIds: readonly number[];
  /** Random replacements are drawn from `[0, vocabSize)`. */
  vocabSize: number;
}

/** BERT's masking rule, as Hugging Face's `DataCollatorForLanguageModeling` applies it. */
export interface MaskingOptions extends MaskingTokens {
  /** Probability that a real, non-special position is chosen. Default 0.15. */
  rate?: number | undefined;
}

/** The default share of positions chosen (BERT's 15 %). */
export const MASKING_RATE = 0.15;

/** Mask tokens by these names, BERT's then RoBERTa's. */
const MASK_TOKENS = ['[MASK]', '<mask>'];

/**
 * The mask id and special ids of a tokenizer, read from the `tokenizer.json` it records: its
 * `added_tokens` marked `special` (the padding id counts too), and the one named `[MASK]` or
 * `<mask>`. A vocabulary from `buildVocabulary` has `[PAD] [UNK] [CLS] [SEP] [MASK]` at 0–4.
 * @throws HeadstartError (BAD_INPUT) when the tokenizer has no mask token.
 */
export function maskingTokens(tokenizer: TokenizerPreprocessing): MaskingTokens {
  const added = (JSON.parse(tokenizer.json) as { added_tokens?: { id: number; content: string; special?: boolean }[] }).added_tokens ?? [];
  const mask = added.find((token) => MASK_TOKENS.includes(token.content));
  if (!mask)
    throw new HeadstartError(
      'BAD_INPUT',
      `masked-language modelling needs a mask token (${MASK_TOKENS.join(' or ')}) among the tokenizer's added_tokens; this tokenizer has ${added.map((t) => t.content).join(', ') || 'none'}`,
    );
  const specialIds = new Set(added.filter((token) => token.special).map((token) => token.id));
  specialIds.add(tokenizer.padId);
  specialIds.add(mask.id);
  return { maskId: mask.id, specialIds: [...specialIds].sort((a, b) => a - b), vocabSize: tokenizer.vocabSize };
}

/**
 * BERT's masking of `[size, T]` token ids: each position whose attention mask is 1 and whose id is
 * not special is chosen with probability `rate`; a chosen position becomes the mask id 80 % of the
 * time, a random id in `[0, vocabSize)` 10 %, and stays 10 %. Returns new ids and the token labels
 * (the original id where chosen, {@link IGNORE_TOKEN} elsewhere); the inputs are not changed. A pure
 * function of its arguments and `rng`'s draws: the same generator state masks the same way.
 */
export function maskTokens(
  inputIds: Int32Array,
  attentionMask: Int32Array,
  options: MaskingOptions,
  rng: Rng,
): { inputIds: Int32Array; tokenLabels: Int32Array } {
  const rate = options.rate ?? MASKING_RATE;
  if (!(rate > 0 && rate <= 1)) throw new HeadstartError('BAD_INPUT', `masking rate must be in (0, 1], got ${rate}`);
  const special = new Set(options.specialIds);
  const ids = Int32Array.from(inputIds);
  const labels = new Int32Array(inputIds.length).fill(IGNORE_TOKEN);
  for (let i = 0; i < ids.length; i++) {
    if (attentionMask[i] !== 1 || special.has(inputIds[i]!) || rng.next() >= rate) continue;
    labels[i] = inputIds[i]!;
    const what = rng.next();
    if (what < 0.8) ids[i] = options.maskId;
    else if (what < 0.9) ids[i] = rng.int(options.vocabSize);
  }
  return { inputIds: ids, tokenLabels: labels };
}

/**
 * The batch transform of masked-language modelling: each training batch's `input_ids` masked by
 * {@link maskTokens} and its `tokenLabels` set (class labels dropped), for `tokenCrossEntropy`. Its
 * generator is the fit loop's per-batch one (seeded from the run's seed, phase, epoch and batch
 * index), so a resumed run masks every batch as the uninterrupted run did.
 */
export function maskingTransform(options: MaskingOptions, names = { ids: 'input_ids', mask: 'attention_mask' }): BatchTransform {
  return {
    name: `mask tokens ${Math.round((options.rate ?? MASKING_RATE) * 100)}%`,
    apply(batch, rng): Batch {
      const ids = batch.inputs?.[names.ids];
      const mask = batch.inputs?.[names.mask];
      if (!(ids instanceof Int32Array) || !(mask instanceof Int32Array))
        throw new HeadstartError('BAD_INPUT', `masking tokens needs int32 batch inputs "${names.ids}" and "${names.mask}"`);
      const masked = maskTokens(ids, mask, options, rng);
      const { sampleShape: _, labels: __, ...rest } = batch;
      return { ...rest, inputs: { ...batch.inputs, [names.ids]: masked.inputIds }, tokenLabels: masked.tokenLabels };
    },
  };
}
