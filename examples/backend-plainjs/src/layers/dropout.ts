import { dropoutMask, mixSeeds } from '@headstart/core/backend-kit';
import type { LayerOp, PassMode } from './layer-op.js';

/**
 * Dropout, active only in training, with core's seeded masks:
 * `dropoutMask(n · sampleSize, rate, mixSeeds(stepSeed, layerIndex))` where `stepSeed` is
 * `mixSeeds(seed, step)`. Every headstart backend draws the same masks, so runs agree across backends.
 */
export class DropoutOp implements LayerOp {
  readonly parameters: string[] = [];
  private mask: Float32Array | undefined;

  constructor(
    readonly layer: string,
    /** Index of the layer in the spec, part of the mask's seed. */
    private readonly layerIndex: number,
    private readonly rate: number,
  ) {}

  forward(x: Float64Array, _n: number, mode: PassMode): Float64Array {
    this.mask =
      mode.training && this.rate > 0 && mode.dropoutSeed !== undefined
        ? dropoutMask(x.length, this.rate, mixSeeds(mode.dropoutSeed, this.layerIndex), this.mask)
        : undefined;
    const mask = this.mask;
    return mask ? x.map((v, i) => v * mask[i]!) : x;
  }

  backward(d: Float64Array, _n: number, _gradients: unknown, needInput: boolean): Float64Array | undefined {
    if (!needInput) return undefined;
    const mask = this.mask;
    return mask ? d.map((v, i) => v * mask[i]!) : d;
  }
}
