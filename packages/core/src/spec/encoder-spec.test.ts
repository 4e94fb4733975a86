import { describe, expect, it } from 'vitest';
import { SpecError } from '../errors.js';
import { withHeadUnits } from './default-spec.js';
import { crossingValues, specBetween } from './graph-cut.js';
import { validateSpec, type ModelSpecInput } from './model-spec.js';
import { inferShapes, parameterShapes } from './shapes.js';

/** A one-block encoder as DistilBERT builds it, over 6 tokens of width 8. */
const encoder: ModelSpecInput = {
  inputs: [
    { name: 'input_ids', shape: [6], dtype: 'int32' },
    { name: 'attention_mask', shape: [6], dtype: 'int32' },
  ],
  layers: [
    { type: 'embedding', name: 'tok', vocabSize: 20, units: 8, paddingIndex: 0, inputs: ['input_ids'] },
    { type: 'positionEmbedding', name: 'pos', maxLength: 10 },
    { type: 'layerNorm', name: 'emb_ln', epsilon: 1e-12 },
    { type: 'attention', name: 'attn', heads: 2, inputs: ['emb_ln', 'attention_mask'] },
    { type: 'add', name: 'res1', inputs: ['emb_ln', 'attn'] },
    { type: 'layerNorm', name: 'sa_ln' },
    { type: 'dense', name: 'lin1', units: 16, activation: 'gelu' },
    { type: 'dense', name: 'lin2', units: 8 },
    { type: 'dropout', name: 'drop', rate: 0.1 },
    { type: 'add', name: 'res2', inputs: ['sa_ln', 'drop'] },
    { type: 'layerNorm', name: 'out_ln' },
    { type: 'sequencePool', name: 'pool', mode: 'mean', inputs: ['out_ln', 'attention_mask'] },
    { type: 'dense', name: 'head', units: 3, activation: 'softmax' },
  ],
};

function specError(input: unknown): string {
  try {
    validateSpec(input, 'enc.json');
  } catch (error) {
    if (error instanceof SpecError) return error.message;
    throw error;
  }
  throw new Error('expected a SpecError');
}

const withLayer = (index: number, patch: object): ModelSpecInput => ({
  ...encoder,
  layers: encoder.layers.map((layer, i) => (i === index ? ({ ...layer, ...patch } as (typeof encoder.layers)[number]) : layer)),
});

describe('an encoder spec with named inputs', () => {
  it('takes its inputShape from the first input and gives each node its shape', () => {
    const spec = validateSpec(encoder);
    expect(spec.inputShape).toEqual([6]);
    const shapes = new Map(inferShapes(spec).map((node) => [node.layer.name, node.outputShape]));
    expect(shapes.get('tok')).toEqual([6, 8]);
    expect(shapes.get('attn')).toEqual([6, 8]);
    expect(shapes.get('lin1')).toEqual([6, 16]);
    expect(shapes.get('pool')).toEqual([8]);
    expect(shapes.get('head')).toEqual([3]);
  });

  it('names its parameters in checkpoint order, attention as DistilBERT orders q_lin, k_lin, v_lin, out_lin', () => {
    const names = parameterShapes(validateSpec(encoder)).map((p) => `${p.name} [${p.shape}]`);
    expect(names.slice(0, 12)).toEqual([
      'tok.embeddings [20,8]',
      'pos.embeddings [10,8]',
      'emb_ln.gamma [8]',
      'emb_ln.beta [8]',
      'attn.qKernel [8,8]',
      'attn.qBias [8]',
      'attn.kKernel [8,8]',
      'attn.kBias [8]',
      'attn.vKernel [8,8]',
      'attn.vBias [8]',
      'attn.outKernel [8,8]',
      'attn.outBias [8]',
    ]);
    expect(names).toContain('lin1.kernel [8,16]');
  });

  it('keeps its named inputs when its head is resized for new labels', () => {
    const { spec, head } = withHeadUnits(validateSpec(encoder), 5);
    expect(head).toBe('head');
    expect(spec.inputs).toEqual(validateSpec(encoder).inputs);
    expect(inferShapes(spec).at(-1)!.outputShape).toEqual([5]);
  });

  it('is the same spec validated twice (a checkpoint holds it with its inputShape)', () => {
    const spec = validateSpec(encoder);
    expect(validateSpec(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
  });

  it('keeps its named inputs in the base a head is cut from', () => {
    const spec = validateSpec(encoder);
    const order = inferShapes(spec);
    const at = order.findIndex((node) => node.layer.name === 'head');
    expect(crossingValues(spec, at)).toEqual(['pool']);
    expect(crossingValues(spec, 0)).toEqual(['input_ids', 'attention_mask']);
    const base = specBetween(spec, 0, at);
    expect(base.inputs).toEqual(spec.inputs);
    expect(base.layers.at(-1)!.name).toBe('pool');
  });

  it.each([
    [{ ...encoder, inputShape: [7] }, "enc.json: inputShape: [7] differs from the first input's shape [6]; give inputs alone"],
    [
      { ...encoder, inputs: [encoder.inputs![0]!, { name: 'input_ids', shape: [6], dtype: 'int32' }] },
      'enc.json: inputs[1].name: "input_ids" is already the name of an earlier input',
    ],
    [
      { ...encoder, inputs: [...encoder.inputs!, { name: 'extra', shape: [3] }] },
      'enc.json: inputs: no layer takes the model input "extra"; list it in a layer\'s inputs or remove it',
    ],
    [
      withLayer(0, { inputs: ['ids'] }),
      'enc.json: layers[0] "tok": inputs: "ids" names no layer nor model input (input_ids, attention_mask)',
    ],
    [withLayer(0, { name: 'input_ids' }), 'enc.json: layers[0] "input_ids": name: already the name of a model input'],
    [withLayer(0, { paddingIndex: 20 }), 'enc.json: layers[0] "tok": paddingIndex: 20 is not below vocabSize 20'],
    [withLayer(1, { maxLength: 5 }), 'enc.json: layers[1] "pos": maxLength: 5 is shorter than the sequence it receives (6 tokens)'],
    [withLayer(3, { heads: 3 }), 'enc.json: layers[3] "attn": heads: the width 8 does not split into 3 heads'],
    [
      withLayer(3, { inputs: ['emb_ln', 'pos'] }),
      'enc.json: layers[3] "attn": inputs: attention takes a padding mask [6] (one 0/1 per token) as its second input, but "pos" gives [6,8]',
    ],
    [
      withLayer(3, { inputs: ['emb_ln', 'attention_mask', 'pos'] }),
      'enc.json: layers[3] "attn": inputs: attention takes a value and optionally its mask, but inputs lists 3 (emb_ln, attention_mask, pos)',
    ],
    [
      withLayer(11, { mode: 'first' }),
      'enc.json: layers[11] "pool": inputs: sequencePool mode first takes no mask (the first token is never padding); drop "attention_mask"',
    ],
    [
      { inputs: [{ name: 'ids', shape: [6], dtype: 'int32' }], layers: [{ type: 'layerNorm', name: 'ln' }] },
      'enc.json: layers[0] "ln": inputs: layerNorm takes float values but "ids" is an int32 model input; put an embedding before it',
    ],
  ])('refuses %#: %s', (input, message) => {
    expect(specError(input)).toBe(message);
  });

  it('refuses an embedding of float values and an attention over flat values', () => {
    expect(specError({ inputShape: [4], layers: [{ type: 'embedding', name: 'e', vocabSize: 5, units: 2 }] })).toBe(
      'enc.json: layers[0] "e": inputs: embedding takes token ids (an int32 model input) but "input" gives float values',
    );
    expect(specError({ inputShape: [4], layers: [{ type: 'attention', name: 'a', heads: 1 }] })).toBe(
      'enc.json: layers[0] "a": type: attention needs a sequence [tokens, width] but receives [4]; put an embedding before it',
    );
  });

  it('lets dense apply to each token of a sequence but still refuses an image', () => {
    const spec = validateSpec({
      inputs: [{ name: 'ids', shape: [3], dtype: 'int32' }],
      layers: [
        { type: 'embedding', name: 'e', vocabSize: 5, units: 4 },
        { type: 'dense', name: 'd', units: 2 },
      ],
    });
    expect(inferShapes(spec).at(-1)!.outputShape).toEqual([3, 2]);
    expect(specError({ inputShape: [2, 2, 1], layers: [{ type: 'dense', name: 'd', units: 2 }] })).toBe(
      'enc.json: layers[0] "d": type: dense needs flat input but receives [2,2,1]; add a flatten layer before it',
    );
  });
});
