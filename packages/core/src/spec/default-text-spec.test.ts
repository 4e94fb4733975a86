import { describe, expect, it } from 'vitest';
import { defaultTextModelSpec } from './default-text-spec.js';
import { inferShapes, parameterShapes } from './shapes.js';

const shape = { vocabSize: 100, maxLength: 12, padId: 0, classes: 3 };

describe('the default text model', () => {
  it('takes input_ids and attention_mask of [T] and ends in a softmax head over the classes', () => {
    const spec = defaultTextModelSpec(shape);
    expect(spec.inputs).toEqual([
      { name: 'input_ids', shape: [12], dtype: 'int32' },
      { name: 'attention_mask', shape: [12], dtype: 'int32' },
    ]);
    const nodes = inferShapes(spec);
    expect(nodes.find((n) => n.layer.name === 'pool')!.outputShape).toEqual([64]);
    expect(nodes.at(-1)!.layer).toMatchObject({ name: 'head', units: 3, activation: 'softmax' });
    expect(spec.layers.filter((l) => l.type === 'attention')).toHaveLength(2);
    expect(spec.layers.some((l) => l.type === 'dropout')).toBe(false);
    expect(parameterShapes(spec).find((p) => p.name === 'tok.embeddings')!.shape).toEqual([100, 64]);
  });

  it('takes its sizes from the options', () => {
    const spec = defaultTextModelSpec(shape, { layers: 1, width: 16, heads: 4, feedForward: 24 });
    expect(spec.layers.filter((l) => l.type === 'attention')).toEqual([expect.objectContaining({ heads: 4 })]);
    expect(parameterShapes(spec).find((p) => p.name === 'ff1a.kernel')!.shape).toEqual([16, 24]);
  });
});
