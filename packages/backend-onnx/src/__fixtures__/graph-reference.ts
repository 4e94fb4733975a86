import { referenceForward, type ForwardMode, type ForwardResult, type Weights64 } from '@headstart/conformance/reference';
import { inferShapes, MODEL_INPUT, sizeOf, type Layer, type LayerShapes, type ModelSpec } from '@headstart/core';

/**
 * The float64 forward pass of a graph spec: the conformance reference (which runs chains) applied
 * node by node in topological order, with `add` and `concat` done here in plain loops. Same
 * arguments and result as {@link referenceForward}.
 */
export function graphReferenceForward(spec: ModelSpec, weights: Weights64, x: ArrayLike<number>, n: number, mode: ForwardMode): ForwardResult {
  const values = new Map<string, Float64Array>([[MODEL_INPUT, Float64Array.from(x)]]);
  const batchStatistics: ForwardResult['batchStatistics'] = new Map();
  const nodes = inferShapes(spec);
  let output: Float64Array = new Float64Array(0);
  for (const node of nodes) {
    const inputs = node.inputs.map((name) => values.get(name)!);
    const last = node.index === spec.layers.length - 1;
    output = nodeForward(node, inputs, weights, n, { ...mode, logits: last && mode.logits === true }, batchStatistics);
    values.set(node.layer.name, output);
  }
  return { output, batchStatistics };
}

function nodeForward(
  node: LayerShapes,
  inputs: Float64Array[],
  weights: Weights64,
  n: number,
  mode: ForwardMode,
  statistics: ForwardResult['batchStatistics'],
): Float64Array {
  const { layer } = node;
  if (layer.type === 'add') return inputs.reduce((sum, v) => sum.map((s, i) => s + v[i]!));
  if (layer.type === 'concat') return concatLast(inputs, node.inputShapes, n);
  const single = { inputShape: node.inputShape, layers: [withoutInputs(layer)] } as ModelSpec;
  const result = referenceForward(single, weights, inputs[0]!, n, mode);
  for (const [name, s] of result.batchStatistics) statistics.set(name, s);
  return result.output;
}

function withoutInputs(layer: Layer): Layer {
  const { inputs: _, ...rest } = layer;
  return rest as Layer;
}

/** Channels-last values joined along their last axis. */
function concatLast(inputs: Float64Array[], shapes: number[][], n: number): Float64Array {
  const channels = shapes.map((s) => s[s.length - 1]!);
  const total = channels.reduce((a, c) => a + c, 0);
  const rows = (n * sizeOf(shapes[0]!)) / channels[0]!;
  const out = new Float64Array(rows * total);
  for (let r = 0; r < rows; r++) {
    let offset = r * total;
    inputs.forEach((v, k) => {
      out.set(v.subarray(r * channels[k]!, (r + 1) * channels[k]!), offset);
      offset += channels[k]!;
    });
  }
  return out;
}
