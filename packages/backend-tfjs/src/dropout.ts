import { createRng, sizeOf, type DropoutLayer } from '@headstart/core';
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

/** A mask of zeros and `1/(1 − rate)` drawn from `createRng(seed)`. */
export function dropoutMask(shape: number[], rate: number, seed: number): tf.Tensor {
  const rng = createRng(seed);
  const keep = 1 / (1 - rate);
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.next() < rate ? 0 : keep;
  return tf.tensor(data, shape, 'float32');
}

/** Combine integers into one 32-bit seed (a murmur3-style mix, so nearby inputs give unrelated seeds). */
export function mixSeeds(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x9e3779b1);
    h = Math.imul(h ^ (h >>> 15), 0x85ebca77);
    h ^= h >>> 13;
  }
  return h >>> 0;
}
