import { crossingsOf, HeadstartError, inferShapes, specBetween, type ModelSpec } from '@headstart/core';

/** One unit of greedy layer-wise pre-training: a dense/conv layer and the parameter-free layers after it. */
export interface EncoderBlock {
  /** The block's dense or conv layer. */
  layer: string;
  /** Its phase name, `pretrain-<layer>`. */
  phase: string;
  /** The encoder's layers below the block (their output is the block's input); undefined for the first. */
  below?: ModelSpec | undefined;
  /** The block alone, its input shape the output of `below`. */
  spec: ModelSpec;
}

/**
 * The encoder cut before each dense/conv layer. Pooling, flatten, activation, dropout and batch-norm
 * layers ride with the block before them (a batch-norm layer alone learns no features worth an
 * autoencoder); layers before the first dense/conv layer join the first block. A graph is cut only
 * where one value alone crosses (see core's `crossingValues`), so a residual block is learnt whole.
 */
export function encoderBlocks(encoder: ModelSpec): EncoderBlock[] {
  const order = inferShapes(encoder);
  const starts = order
    .map((node, at) => ({ node, at }))
    .filter(({ node, at }) => (node.layer.type === 'dense' || node.layer.type === 'conv2d') && crossingsOf(order, at).length === 1)
    .map(({ at }) => at);
  if (starts.length === 0)
    throw new HeadstartError('USAGE', 'greedy pre-training needs a dense or conv2d layer below the head; the encoder has none');
  starts[0] = 0;
  return starts.map((start, i) => {
    const end = starts[i + 1] ?? order.length;
    const layer = order.slice(start, end).find((l) => l.layer.type === 'dense' || l.layer.type === 'conv2d')!.layer.name;
    return {
      layer,
      phase: `pretrain-${layer}`,
      ...(start > 0 ? { below: specBetween(encoder, 0, start, 'the layers below a greedy block') } : {}),
      spec: specBetween(encoder, start, end, 'a greedy block'),
    };
  });
}
