import {
  inferShapes,
  MODEL_INPUT,
  type BatchNormLayer,
  type Layer,
  type LayerShapes,
  type ModelSpec,
  type NamedTensors,
} from '@headstart/core';
import { splitFinalSoftmax } from '@headstart/core/backend-kit';
import { activate, softmaxRows } from './activations.js';
import { addValues, concatValues } from './merges.js';
import { addPositions, affine, attention, embedding, layerNorm, sequencePool } from './sequence-ops.js';
import { conv2d, globalAvgPool2d, pool2d, type ImageShape } from './window-ops.js';

/** Weights in float64, by parameter name, in canonical layouts. */
export type Weights64 = Map<string, Float64Array>;

/** Float64 copies of float32 weights. */
export function toWeights64(weights: NamedTensors): Weights64 {
  return new Map([...weights].map(([name, t]) => [name, Float64Array.from(t.data)]));
}

/** How a reference pass runs. */
export interface ForwardMode {
  /** Training mode: batch-norm layers (unless frozen) use the batch's statistics, dropout its masks. */
  training: boolean;
  /** Batch-norm layers kept in inference mode while training. */
  frozenBatchNorm?: ReadonlySet<string> | undefined;
  /** Dropout masks by layer name, `n × sample size` channels-last (training only; none means identity). */
  dropoutMasks?: ReadonlyMap<string, ArrayLike<number>> | undefined;
  /** Stop before a final softmax, where losses start. */
  logits?: boolean | undefined;
}

/** What a reference pass gives. */
export interface ForwardResult {
  /** `n × outputs`. */
  output: Float64Array;
  /** Batch statistics of every batch-norm layer that used them (biased variance), by layer name. */
  batchStatistics: Map<string, { mean: Float64Array; variance: Float64Array }>;
}

/**
 * The float64 forward pass of a spec over `n` channels-last samples: the reference every backend is
 * compared with. Plain loops over canonical layouts, written for clarity rather than speed. A graph's
 * nodes run in core's topological order, each on the values of its `inputs` by name; the output is
 * the last listed layer's. `x` is the samples, or for a spec with named inputs each input's
 * `n × size` values by name.
 */
export function referenceForward(
  spec: ModelSpec,
  weights: Weights64,
  x: ArrayLike<number> | ReadonlyMap<string, ArrayLike<number>>,
  n: number,
  mode: ForwardMode,
): ForwardResult {
  const { layers, endsInSoftmax } = splitFinalSoftmax(spec.layers);
  const output = spec.layers[spec.layers.length - 1]!;
  // Up to the logits: the last layer without its softmax (a softmax activation layer passes its input on).
  const logitsLayer = layers.find((layer) => layer.name === output.name);
  const batchStatistics: ForwardResult['batchStatistics'] = new Map();
  const given = 'get' in x ? [...x] : ([[MODEL_INPUT, x]] as const);
  const values = new Map<string, Float64Array>(given.map(([name, data]) => [name, Float64Array.from(data)]));
  let channels = 0;
  for (const node of inferShapes(spec)) {
    const inputs = node.inputs.map((name) => values.get(name)!);
    const layer = node.layer.name === output.name ? logitsLayer : node.layer;
    values.set(node.layer.name, layer ? applyLayer(layer, node, inputs, n, { weights, mode, batchStatistics }) : inputs[0]!);
    // A final softmax is over the last axis, as the backends apply it: each token's row of a [tokens, vocab] output.
    if (node.layer.name === output.name) channels = node.outputShape[node.outputShape.length - 1]!;
  }
  const logits = values.get(output.name)!;
  return { output: endsInSoftmax && !mode.logits ? softmaxRows(logits, channels) : logits, batchStatistics };
}

interface LayerContext {
  weights: Weights64;
  mode: ForwardMode;
  batchStatistics: ForwardResult['batchStatistics'];
}

function parameter(weights: Weights64, name: string): Float64Array {
  const value = weights.get(name);
  if (!value) throw new Error(`float64 reference: no weights for "${name}"`);
  return value;
}

/** One node on the values of its inputs (`node.inputShapes` gives their shapes); `layer` may be `node.layer` without its softmax. */
function applyLayer(layer: Layer, node: LayerShapes, inputs: Float64Array[], n: number, ctx: LayerContext): Float64Array {
  const param = (p: string): Float64Array => parameter(ctx.weights, `${layer.name}.${p}`);
  const { inputShape } = node;
  const x = inputs[0]!;
  const channels = inputShape[inputShape.length - 1]!;
  switch (layer.type) {
    case 'dense':
      return activate(layer.activation, affine(x, param('kernel'), layer.useBias ? param('bias') : undefined, layer.units), layer.units);
    case 'conv2d':
      return activate(
        layer.activation,
        conv2d(x, n, imageShape(inputShape), layer, param('kernel'), layer.useBias ? param('bias') : undefined),
        layer.filters,
      );
    case 'maxPool2d':
    case 'avgPool2d':
      return pool2d(x, n, imageShape(inputShape), layer);
    case 'globalAvgPool2d':
      return globalAvgPool2d(x, n, imageShape(inputShape));
    case 'flatten':
      return x;
    case 'batchNorm':
      return batchNorm(layer, x, channels, ctx);
    case 'dropout': {
      const mask = ctx.mode.training ? ctx.mode.dropoutMasks?.get(layer.name) : undefined;
      return mask ? x.map((v, i) => v * mask[i]!) : x;
    }
    case 'activation':
      return activate(layer.activation, x, channels);
    case 'onnx':
      throw new Error(`the reference backend cannot run layer "${layer.name}", an opaque ONNX block`);
    case 'add':
      return addValues(inputs);
    case 'concat':
      return concatValues(
        inputs,
        node.inputShapes.map((shape) => shape[shape.length - 1]!),
      );
    case 'embedding':
      return embedding(layer, x, param('embeddings'));
    case 'positionEmbedding':
      return addPositions(x, param('embeddings'), inputShape[0]!, channels);
    case 'layerNorm':
      return layerNorm(x, channels, param('gamma'), param('beta'), layer.epsilon);
    case 'attention':
      return attention(layer, x, inputs[1], inputShape[0]!, channels, param);
    case 'sequencePool':
      return sequencePool(layer, x, inputs[1], inputShape[0]!, channels);
  }
}

function imageShape(shape: number[]): ImageShape {
  return [shape[0]!, shape[1]!, shape[2]!];
}

/** `gamma · (x − mean)/√(variance + ε) + beta` over the last axis; batch statistics when training and not frozen. */
function batchNorm(layer: BatchNormLayer, x: Float64Array, channels: number, ctx: LayerContext): Float64Array {
  const param = (p: string): Float64Array => parameter(ctx.weights, `${layer.name}.${p}`);
  let mean = param('movingMean');
  let variance = param('movingVariance');
  if (ctx.mode.training && !ctx.mode.frozenBatchNorm?.has(layer.name)) {
    ({ mean, variance } = momentsOf(x, channels));
    ctx.batchStatistics.set(layer.name, { mean, variance });
  }
  const [gamma, beta] = [param('gamma'), param('beta')];
  return x.map((v, i) => {
    const k = i % channels;
    return (gamma[k]! * (v - mean[k]!)) / Math.sqrt(variance[k]! + layer.epsilon) + beta[k]!;
  });
}

/** Per-channel mean and biased variance over every other axis. */
function momentsOf(x: Float64Array, channels: number): { mean: Float64Array; variance: Float64Array } {
  const rows = x.length / channels;
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  for (let i = 0; i < x.length; i++) mean[i % channels]! += x[i]! / rows;
  for (let i = 0; i < x.length; i++) variance[i % channels]! += (x[i]! - mean[i % channels]!) ** 2 / rows;
  return { mean, variance };
}
