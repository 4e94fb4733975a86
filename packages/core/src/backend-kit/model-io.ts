import { describeSample } from '../data/sample-size.js';
import { HeadstartError } from '../errors.js';
import type { Layer } from '../spec/layers.js';
import { sizeOf } from '../tensors.js';

/**
 * Check that `x` holds `size` samples of `inputShape` before a backend runs it.
 * @throws HeadstartError (BAD_INPUT) saying what was expected.
 */
export function checkInput(inputShape: readonly number[], x: Float32Array, size: number): void {
  const perSample = sizeOf(inputShape);
  if (!Number.isInteger(size) || size < 0 || x.length !== size * perSample) {
    throw new HeadstartError(
      'BAD_INPUT',
      `expected ${size} samples of ${describeSample(inputShape)} (${size * perSample} values), got ${x.length} values`,
    );
  }
}

/**
 * The layers up to the logits, and whether the model ends in a softmax (a final softmax activation
 * layer, or a dense/conv layer with softmax activation). Backends compute `softmaxCrossEntropy` from
 * the logits, which is numerically stable, and apply the softmax only for predictions.
 */
export function splitFinalSoftmax(layers: readonly Layer[]): { layers: Layer[]; endsInSoftmax: boolean } {
  const last = layers[layers.length - 1];
  if (last?.type === 'activation' && last.activation === 'softmax') return { layers: layers.slice(0, -1), endsInSoftmax: true };
  if ((last?.type === 'dense' || last?.type === 'conv2d') && last.activation === 'softmax') {
    return { layers: [...layers.slice(0, -1), { ...last, activation: 'linear' }], endsInSoftmax: true };
  }
  return { layers: [...layers], endsInSoftmax: false };
}
