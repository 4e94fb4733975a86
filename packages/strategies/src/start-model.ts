import { HeadstartError, type Label, type ModelSpec, type NamedTensors, type StrategyContext } from '@headstart/core';
import { sameLabels, withNewHead } from './head.js';
import { mergeWeights } from './weights.js';

/** The starting model of a transfer strategy, with the head fitted to the new data's classes. */
export interface TransferStart {
  spec: ModelSpec;
  weights: NamedTensors;
  /** Pretrained weights that were kept (the old head left out when it is replaced), for L2-SP. */
  reference: NamedTensors;
  /** First layer of the head. */
  head: string;
  /** Whether the head was replaced (the labels differ from the checkpoint's, or a head was asked for). */
  replacedHead: boolean;
  labels: Label[];
}

/**
 * `ctx.from` prepared for new data: the head starts at `head` (default: the last layer with
 * parameters); it is replaced by a fresh one sized to the data's classes unless `keepMatchingHead`
 * and the labels are the checkpoint's own.
 */
export function transferStart(ctx: StrategyContext, strategy: string, head: string | undefined, keepMatchingHead: boolean): TransferStart {
  const from = ctx.from;
  if (!from)
    throw new HeadstartError(
      'USAGE',
      `${strategy} starts from a trained model: give --from CHECKPOINT (or a model file a backend can import)`,
    );
  const labels = ctx.data.train.labelMap ?? [];
  const { spec, headLayers } = withNewHead(from.spec, labels.length, head);
  const keep = keepMatchingHead && sameLabels(from.labels, labels);
  if (!keep) {
    const before = from.labels ? `[${from.labels.join(', ')}]` : 'none';
    ctx.emit({
      type: 'log',
      level: 'info',
      message: `${strategy}: new head (${headLayers.join(', ')}) for labels [${labels.join(', ')}]; the checkpoint's labels were ${before}`,
    });
  }
  // L2-SP pulls towards what was pre-trained and kept: a replaced head has no pre-trained values.
  const reference = keep
    ? from.weights
    : new Map([...from.weights].filter(([name]) => !headLayers.includes(name.slice(0, name.lastIndexOf('.')))));
  return {
    spec,
    weights: mergeWeights(spec, from.weights, keep ? [] : headLayers, ctx.rng),
    reference,
    head: headLayers[0]!,
    replacedHead: !keep,
    labels,
  };
}
