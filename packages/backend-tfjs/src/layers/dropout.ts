import { sizeOf, type DropoutLayer } from '@headstart/core';
import { dropoutMask as coreDropoutMask, mixSeeds } from '@headstart/core/backend-kit';
import * as tf from '@tensorflow/tfjs';
import type { LayerForward } from './forward-types.js';

/**
 * Inverted dropout: in training, each value is zeroed with probability `rate` and the rest scaled
 * by `1/(1 − rate)`; identity in inference. The mask comes from core's seeded RNG, seeded by the
 * pass's `dropoutSeed` and the layer's index, so a step's masks are the same on every run and engine.
 */
export function dropoutLayer(layer: DropoutLayer, index: number): LayerForward {
  return (x, mode) => {
    if (!mode.training || layer.rate === 0) return x;
    return tf.mul(x, dropoutMask(x.shape, layer.rate, mixSeeds(mode.dropoutSeed ?? 0, index)));
  };
}

/** A mask of zeros and `1/(1 − rate)` drawn from core's seeded {@link coreDropoutMask}. */
export function dropoutMask(shape: number[], rate: number, seed: number): tf.Tensor {
  return tf.tensor(coreDropoutMask(sizeOf(shape), rate, seed), shape, 'float32');
}
