import { HeadstartError, inferShapes, validateSpec, type ModelSpec } from '@headstart/core';

/** One unit of greedy layer-wise pre-training: a dense/conv layer and the parameter-free layers after it. */
export interface EncoderBlock {
  /** The block's dense or conv layer. */
  layer: string;
  /** Its phase name, `pretrain-<layer>`. */
  phase: string;
  /** The encoder's layers below the block (their output is the block's input); undefined for the first. */
  below?: ModelSpec;
  /** The block alone, its input shape the output of `below`. */
  spec: ModelSpec;
}

/**
 * The encoder cut before each dense/conv layer. Pooling, flatten, activation, dropout and batch-norm
 * layers ride with the block before them (a batch-norm layer alone learns no features worth an
 * autoencoder); layers before the first dense/conv layer join the first block.
 */
export function encoderBlocks(encoder: ModelSpec): EncoderBlock[] {
  const shapes = inferShapes(encoder);
  const starts = shapes.filter((l) => l.layer.type === 'dense' || l.layer.type === 'conv2d').map((l) => l.index);
  if (starts.length === 0)
    throw new HeadstartError('USAGE', 'greedy pre-training needs a dense or conv2d layer below the head; the encoder has none');
  starts[0] = 0;
  return starts.map((start, i) => {
    const end = starts[i + 1] ?? encoder.layers.length;
    const layer = encoder.layers.slice(start, end).find((l) => l.type === 'dense' || l.type === 'conv2d')!.name;
    return {
      layer,
      phase: `pretrain-${layer}`,
      ...(start > 0 ? { below: validateSpec({ inputShape: encoder.inputShape, layers: encoder.layers.slice(0, start) }) } : {}),
      spec: validateSpec({ inputShape: shapes[start]!.inputShape, layers: encoder.layers.slice(start, end) }),
    };
  });
}
