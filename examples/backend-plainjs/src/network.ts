import { inferShapes, sizeOf, type Activation, type Layer, type ModelSpec } from '@headstart/core';
import { splitFinalSoftmax } from '@headstart/core/backend-kit';
import { ActivationOp, softmaxRows } from './layers/activation.js';
import { BatchNormOp } from './layers/batch-norm.js';
import { Conv2dOp } from './layers/conv2d.js';
import { DenseOp } from './layers/dense.js';
import { DropoutOp } from './layers/dropout.js';
import type { Gradients, LayerOp, PassMode } from './layers/layer-op.js';
import { GlobalAvgPool2dOp, Pool2dOp } from './layers/pooling.js';
import type { ParameterStore } from './parameter-store.js';
import { unsupportedLayer } from './unsupported.js';

/**
 * A spec as a chain of {@link LayerOp}s over the model's parameters, up to the logits: a final
 * softmax is split off (core's `splitFinalSoftmax`) so that cross-entropy is computed from the logits,
 * and applied only for predictions.
 */
export class Network {
  readonly ops: LayerOp[];
  /** Whether the spec ends in a softmax (which {@link probabilities} applies). */
  readonly endsInSoftmax: boolean;
  /** Values per sample out of the last op. */
  readonly outputSize: number;

  /** @throws HeadstartError (NOT_SUPPORTED) naming the first layer this backend cannot run. */
  constructor(spec: ModelSpec, store: ParameterStore) {
    const shapes = inferShapes(spec);
    const { layers, endsInSoftmax } = splitFinalSoftmax(spec.layers);
    this.endsInSoftmax = endsInSoftmax;
    this.ops = layers.flatMap((layer, index) => opsOf(layer, index, shapes[index]!.inputShape, shapes[index]!.outputShape, store));
    this.outputSize = sizeOf(shapes[shapes.length - 1]!.outputShape);
  }

  /** The logits (or outputs, without a final softmax) of `n` samples. */
  forward(x: Float32Array, n: number, mode: PassMode): Float64Array {
    let values: Float64Array = Float64Array.from(x);
    for (const op of this.ops) values = op.forward(values, n, mode);
    return values;
  }

  /**
   * Back-propagate the gradient of the loss by the logits of the last {@link forward} pass, adding the
   * parameter gradients to `gradients`. Stops at op `lowest`: nothing below it trains.
   */
  backward(gradLogits: Float64Array, n: number, gradients: Gradients, lowest: number): void {
    let d: Float64Array | undefined = gradLogits;
    for (let i = this.ops.length - 1; i >= lowest && d; i--) d = this.ops[i]!.backward(d, n, gradients, i > lowest);
  }

  /** Index of the lowest op reading any of `parameters` (`ops.length` when none does). */
  lowestOpOf(parameters: ReadonlySet<string>): number {
    const index = this.ops.findIndex((op) => op.parameters.some((p) => parameters.has(p)));
    return index < 0 ? this.ops.length : index;
  }

  /** The batch-norm op of a layer. */
  batchNorm(layer: string): BatchNormOp | undefined {
    return this.ops.find((op): op is BatchNormOp => op instanceof BatchNormOp && op.layer === layer);
  }

  /** What {@link forward}'s values mean as predictions: class probabilities after a final softmax. */
  probabilities(logits: Float64Array): Float32Array {
    return Float32Array.from(this.endsInSoftmax ? softmaxRows(logits, this.outputSize) : logits);
  }
}

function opsOf(layer: Layer, index: number, inputShape: number[], outputShape: number[], store: ParameterStore): LayerOp[] {
  const param = (name: string): Float32Array => store.values(`${layer.name}.${name}`);
  const channels = outputShape[outputShape.length - 1]!;
  const activated = (op: LayerOp, activation: Activation): LayerOp[] =>
    activation === 'linear' ? [op] : [op, new ActivationOp(layer.name, activation, channels)];
  switch (layer.type) {
    case 'dense':
      return activated(
        new DenseOp(layer.name, inputShape[0]!, layer.units, param('kernel'), layer.useBias ? param('bias') : undefined),
        layer.activation,
      );
    case 'conv2d':
      return activated(new Conv2dOp(layer, inputShape, param('kernel'), layer.useBias ? param('bias') : undefined), layer.activation);
    case 'maxPool2d':
    case 'avgPool2d':
      return [new Pool2dOp(layer, inputShape)];
    case 'globalAvgPool2d':
      return [new GlobalAvgPool2dOp(layer.name, inputShape)];
    case 'flatten':
      // Channels-last row-major values are already flat.
      return [];
    case 'batchNorm':
      return [
        new BatchNormOp(layer, channels, {
          gamma: param('gamma'),
          beta: param('beta'),
          movingMean: param('movingMean'),
          movingVariance: param('movingVariance'),
        }),
      ];
    case 'dropout':
      return [new DropoutOp(layer.name, index, layer.rate)];
    case 'activation':
      return layer.activation === 'linear' ? [] : [new ActivationOp(layer.name, layer.activation, channels)];
    default:
      throw unsupportedLayer(layer);
  }
}
