// The `transformer` workload's encoder (issue 18) as a headstart spec: DistilBERT's post-norm block, the same network
// `torch_bench.py transformer` builds in PyTorch (its module names in the comments), and its seeded random token data.
import { createRng } from '@headstart/core';

/** The encoder's size: 4 blocks of width 128, 4 heads, FFN 512, 64 tokens, 1,000 token ids, 10 classes. */
export const ENCODER = { vocab: 1000, tokens: 64, width: 128, heads: 4, ffn: 512, blocks: 4, classes: 10 };

/**
 * token + position embedding → LayerNorm → 4 × (attention with the padding mask, residual, LayerNorm, dense → gelu →
 * dense, residual, LayerNorm) → masked mean over the tokens → dense to the classes. No dropout (PyTorch's model has
 * none either, so both sides compute the same function).
 */
export function transformerSpec({ vocab, tokens, width, heads, ffn, blocks, classes } = ENCODER) {
  const layers = [
    { type: 'embedding', name: 'tok', vocabSize: vocab, units: width, paddingIndex: 0, inputs: ['input_ids'] }, // word_embeddings
    { type: 'positionEmbedding', name: 'pos', maxLength: tokens }, // position_embeddings
    { type: 'layerNorm', name: 'emb_ln', epsilon: 1e-12 }, // embeddings.LayerNorm
  ];
  let x = 'emb_ln';
  for (let i = 0; i < blocks; i++) {
    const n = (s) => `b${i}_${s}`;
    layers.push(
      { type: 'attention', name: n('attn'), heads, inputs: [x, 'attention_mask'] }, // q_lin, k_lin, v_lin, out_lin
      { type: 'add', name: n('sa_res'), inputs: [n('attn'), x] },
      { type: 'layerNorm', name: n('sa_ln'), epsilon: 1e-12 }, // sa_layer_norm
      { type: 'dense', name: n('lin1'), units: ffn, activation: 'gelu' }, // ffn.lin1 + GELU
      { type: 'dense', name: n('lin2'), units: width }, // ffn.lin2
      { type: 'add', name: n('ffn_res'), inputs: [n('lin2'), n('sa_ln')] },
      { type: 'layerNorm', name: n('out_ln'), epsilon: 1e-12 }, // output_layer_norm
    );
    x = n('out_ln');
  }
  layers.push(
    { type: 'sequencePool', name: 'pool', mode: 'mean', inputs: [x, 'attention_mask'] }, // masked mean over the tokens
    { type: 'dense', name: 'head', units: classes, activation: 'softmax' }, // classifier (softmax: the loss's)
  );
  return {
    inputs: [
      { name: 'input_ids', shape: [tokens], dtype: 'int32' },
      { name: 'attention_mask', shape: [tokens], dtype: 'int32' },
    ],
    layers,
  };
}

/**
 * `batches` seeded batches of `batch` sequences: each a random length from a quarter of the tokens to all of them,
 * ids 1..vocab−1 up to it and 0 (padding) after, the mask 1 then 0; labels 0..classes−1. torch_bench.py draws the
 * same distribution.
 */
export function tokenBatches(batch, batches, { vocab, tokens, classes } = ENCODER) {
  const rng = createRng(7);
  return Array.from({ length: batches }, () => {
    const ids = new Int32Array(batch * tokens);
    const mask = new Int32Array(batch * tokens);
    for (let s = 0; s < batch; s++) {
      const length = tokens / 4 + rng.int(tokens - tokens / 4 + 1);
      for (let t = 0; t < length; t++) {
        ids[s * tokens + t] = 1 + rng.int(vocab - 1);
        mask[s * tokens + t] = 1;
      }
    }
    const labels = Int32Array.from({ length: batch }, () => rng.int(classes));
    return { x: new Float32Array(0), size: batch, inputs: { input_ids: ids, attention_mask: mask }, labels };
  });
}
