import type { ModelSpecInput } from '@headstart/core';
import { describe, it } from 'vitest';
import { checkGradients } from '../__fixtures__/gradient-check.js';

/** Three samples of 4 tokens: ids (0 is padding) and their mask, the last sample padded after 2 tokens. */
const ids = [3, 1, 4, 1, 5, 2, 6, 5, 3, 5, 0, 0];
const mask = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
const inputs = [
  { name: 'ids', shape: [4], dtype: 'int32' as const },
  { name: 'mask', shape: [4], dtype: 'int32' as const },
];

describe('sequence layer gradients against central finite differences of the float64 reference', () => {
  it('embedding (a token used twice, padding rows untouched) with position embeddings, mean-pooled over the mask', async () => {
    const spec: ModelSpecInput = {
      inputs,
      layers: [
        { type: 'embedding', name: 'tok', vocabSize: 7, units: 4, paddingIndex: 0 },
        { type: 'positionEmbedding', name: 'pos', maxLength: 6 },
        { type: 'sequencePool', name: 'pool', mode: 'mean', inputs: ['pos', 'mask'] },
        { type: 'dense', name: 'head', units: 2 },
      ],
    };
    await checkGradients(spec, { inputs: { ids, mask }, wrt: ['tok.embeddings', 'pos.embeddings', 'head.kernel'] });
  });

  it('layerNorm, dense on every token with gelu, and first-token pooling', async () => {
    const spec: ModelSpecInput = {
      inputs: [inputs[0]!],
      layers: [
        { type: 'embedding', name: 'tok', vocabSize: 7, units: 4 },
        { type: 'layerNorm', name: 'ln', epsilon: 1e-5 },
        { type: 'dense', name: 'ffn', units: 5, activation: 'gelu' },
        { type: 'dropout', name: 'drop', rate: 0.4 },
        { type: 'sequencePool', name: 'pool', mode: 'first' },
        { type: 'dense', name: 'head', units: 3, activation: 'softmax' },
      ],
    };
    await checkGradients(spec, {
      inputs: { ids },
      loss: 'softmaxCrossEntropy',
      dropout: [{ layer: 'drop', rate: 0.4 }],
      wrt: ['tok.embeddings', 'ln.gamma', 'ln.beta', 'ffn.kernel', 'ffn.bias', 'head.kernel'],
    });
  });

  it('multi-head self-attention with a padding mask, in a residual block (padding tokens embed to zeros)', async () => {
    const spec: ModelSpecInput = {
      inputs,
      layers: [
        { type: 'embedding', name: 'tok', vocabSize: 7, units: 4, paddingIndex: 0 },
        { type: 'attention', name: 'attn', heads: 2, inputs: ['tok', 'mask'] },
        { type: 'add', name: 'res', inputs: ['tok', 'attn'] },
        { type: 'sequencePool', name: 'pool', mode: 'mean' },
        { type: 'dense', name: 'head', units: 2 },
      ],
    };
    const wrt = ['qKernel', 'qBias', 'kKernel', 'kBias', 'vKernel', 'vBias', 'outKernel', 'outBias'].map((p) => `attn.${p}`);
    await checkGradients(spec, { inputs: { ids, mask }, wrt: ['tok.embeddings', ...wrt] });
  });

  it('attention without a mask', async () => {
    const spec: ModelSpecInput = {
      inputs: [inputs[0]!],
      layers: [
        { type: 'embedding', name: 'tok', vocabSize: 7, units: 6 },
        { type: 'attention', name: 'attn', heads: 3 },
        { type: 'sequencePool', name: 'pool', mode: 'first' },
        { type: 'dense', name: 'head', units: 2 },
      ],
    };
    await checkGradients(spec, {
      inputs: { ids },
      wrt: ['tok.embeddings', 'attn.qKernel', 'attn.kBias', 'attn.vKernel', 'attn.outKernel'],
    });
  });
});
