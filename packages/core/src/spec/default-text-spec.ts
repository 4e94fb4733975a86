import { isTokenDataset, type TokenDataset } from '../data/token-dataset.js';
import { TOKEN_INPUTS, type TrainingData } from '../data/training-data.js';
import { defaultModelSpec } from './default-spec.js';
import type { LayerInput } from './layers.js';
import { validateSpec, type ModelSpec } from './model-spec.js';

/** The sizes of {@link defaultTextModelSpec}; each has a default. */
export interface TextModelSizes {
  /** Encoder blocks (attention and feed-forward). Default 2. */
  layers?: number | undefined;
  /** Width of every token's vector. Default 64. */
  width?: number | undefined;
  /** Attention heads; must divide `width`. Default 2. */
  heads?: number | undefined;
  /** Width of each block's feed-forward layer. Default twice `width`. */
  feedForward?: number | undefined;
}

/** What the text model must fit: the tokenizer's vocabulary, the sequence length and the classes. */
export interface TextModelShape {
  vocabSize: number;
  /** `T`, the tokens of every sequence (the tokenizer's `maxLength`). */
  maxLength: number;
  padId: number;
  classes: number;
}

/**
 * The model `train` builds for text when the user names none: a small transformer encoder
 * (DistilBERT's layout: token and position embeddings, then post-norm blocks of masked attention
 * and a GELU feed-forward), mean-pooled over the real tokens (the attention mask), then a dense
 * `head` with a softmax over the classes. Its inputs are `input_ids` and `attention_mask` `[T]`.
 * No dropout, so the base is deterministic and `frozen-base` computes its features once.
 * 2 blocks of width 64 with a vocabulary of 8 000: about 0.6 M parameters, most of them the embedding.
 */
export function defaultTextModelSpec(shape: TextModelShape, sizes: TextModelSizes = {}): ModelSpec {
  const width = sizes.width ?? 64;
  const heads = sizes.heads ?? 2;
  const feedForward = sizes.feedForward ?? 2 * width;
  const layers: LayerInput[] = [
    { type: 'embedding', name: 'tok', vocabSize: shape.vocabSize, units: width, paddingIndex: shape.padId, inputs: [TOKEN_INPUTS.ids] },
    { type: 'positionEmbedding', name: 'pos', maxLength: shape.maxLength },
    { type: 'layerNorm', name: 'emb_ln' },
  ];
  let last = 'emb_ln';
  for (let i = 1; i <= (sizes.layers ?? 2); i++) {
    layers.push(
      { type: 'attention', name: `attn${i}`, heads, inputs: [last, TOKEN_INPUTS.mask] },
      { type: 'add', name: `res${i}a`, inputs: [last, `attn${i}`] },
      { type: 'layerNorm', name: `ln${i}a` },
      { type: 'dense', name: `ff${i}a`, units: feedForward, activation: 'gelu' },
      { type: 'dense', name: `ff${i}b`, units: width },
      { type: 'add', name: `res${i}b`, inputs: [`ln${i}a`, `ff${i}b`] },
      { type: 'layerNorm', name: `ln${i}b` },
    );
    last = `ln${i}b`;
  }
  layers.push(
    { type: 'sequencePool', name: 'pool', mode: 'mean', inputs: [last, TOKEN_INPUTS.mask] },
    { type: 'dense', name: 'head', units: shape.classes, activation: 'softmax' },
  );
  const inputs = [
    { name: TOKEN_INPUTS.ids, shape: [shape.maxLength], dtype: 'int32' as const },
    { name: TOKEN_INPUTS.mask, shape: [shape.maxLength], dtype: 'int32' as const },
  ];
  return validateSpec({ inputs, layers }, 'default text model');
}

/** {@link defaultTextModelSpec} for a tokenised dataset: its tokenizer's vocabulary and length, its classes. */
export function defaultTextSpecFor(data: TokenDataset, sizes: TextModelSizes = {}): ModelSpec {
  const { vocabSize, maxLength, padId } = data.tokenizer;
  return defaultTextModelSpec({ vocabSize, maxLength, padId, classes: data.labelMap?.length ?? 0 }, sizes);
}

/** The default model for training data: {@link defaultTextSpecFor} for text, {@link defaultModelSpec} for features. */
export function defaultModelSpecFor(train: TrainingData): ModelSpec {
  return isTokenDataset(train) ? defaultTextSpecFor(train) : defaultModelSpec(train.sampleShape, train.labelMap?.length ?? 0);
}
