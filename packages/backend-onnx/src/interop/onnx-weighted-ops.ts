import type { LayerInput } from '@headstart/core';
import type { Attributes } from '../onnx/attributes.js';
import type { NodeProto } from '../onnx/onnx-proto.js';
import type { GraphMapper } from './onnx-graph-mapper.js';
import { floatOf, numberOf } from './onnx-node-attributes.js';
import { paddingOf, windowOf } from './onnx-window-ops.js';

type Tensor = { shape: number[]; data: Float32Array };

/** Conv: `conv2d`, kernel `[out, in / groups, kh, kw]` → `[kh, kw, in / groups, out]` (PyTorch's grouped layout is ours). */
export function mapConv(m: GraphMapper, node: NodeProto, attributes: Attributes): void {
  const input = m.input(node);
  const weight = m.constant(node, node.input[1]);
  if (weight.dims.length !== 4) throw m.unsupported(node, `only 2-D convolutions are supported (weight of rank ${weight.dims.length})`);
  const [out, perGroup, kh, kw] = weight.dims as [number, number, number, number];
  const window = windowOf(m, node, attributes, input, [kh, kw]);
  const groups = numberOf(attributes, 'group', 1);
  const channels = input.shape[2]!;
  if (perGroup * groups !== channels)
    throw m.unsupported(node, `its weight takes ${perGroup} × ${groups} group(s) channels, but its input has ${channels}`);
  const kernel = new Float32Array(weight.values.length);
  for (let o = 0; o < out; o++)
    for (let i = 0; i < perGroup; i++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++)
          kernel[((y * kw + x) * perGroup + i) * out + o] = weight.values[((o * perGroup + i) * kh + y) * kw + x]!;
  const bias = node.input[2] ? m.constant(node, node.input[2]).values : undefined;
  const layer: LayerInput = {
    type: 'conv2d',
    name: m.layerName(node, node.input[1]),
    filters: out,
    kernelSize: [kh, kw],
    strides: window.strides,
    padding: paddingOf(window, input),
    ...(groups !== 1 ? { groups } : {}),
    useBias: bias !== undefined,
  };
  m.add(node, layer, [input], {
    kernel: { shape: [kh, kw, perGroup, out], data: kernel },
    ...(bias ? { bias: vector(bias) } : {}),
  });
}

/** Gemm and MatMul: `dense`, rows reordered from PyTorch's C,H,W order when the input is a flattened image. */
export function mapDense(m: GraphMapper, node: NodeProto, attributes: Attributes): void {
  if (numberOf(attributes, 'alpha', 1) !== 1 || numberOf(attributes, 'beta', 1) !== 1 || numberOf(attributes, 'transA', 0) !== 0) {
    throw m.unsupported(node, 'only alpha = beta = 1 and transA = 0 are supported');
  }
  const input = m.input(node);
  // A sequence [T, in] takes the layer token by token (a MatMul of [N, T, in]); an image needs a Flatten first.
  const sequence = node.opType === 'MatMul' && input.shape.length === 2 && !input.flattenedImage;
  if (input.shape.length !== 1 && !sequence) throw m.unsupported(node, 'it needs flat input; a Flatten must come first');
  const features = input.shape[input.shape.length - 1]!;
  const weight = m.constant(node, node.input[1]);
  if (weight.dims.length !== 2) throw m.unsupported(node, `its weight has rank ${weight.dims.length}; expected 2`);
  const transposed = numberOf(attributes, 'transB', 0) === 1;
  const [inputs, units] = (transposed ? [weight.dims[1]!, weight.dims[0]!] : weight.dims) as [number, number];
  if (inputs !== features) throw m.unsupported(node, `its weight takes ${inputs} features, but its input has ${features}`);
  const kernel = new Float32Array(inputs * units);
  const row = rowOrder(input.flattenedImage, inputs);
  for (let i = 0; i < inputs; i++)
    for (let o = 0; o < units; o++) kernel[row[i]! * units + o] = weight.values[transposed ? o * inputs + i : i * units + o]!;
  const bias = node.opType === 'Gemm' && node.input[2] ? m.constant(node, node.input[2]).values : undefined;
  if (bias && bias.length !== units) throw m.unsupported(node, `its bias has ${bias.length} values for ${units} units`);
  const layer: LayerInput = { type: 'dense', name: m.layerName(node, node.input[1]), units, useBias: bias !== undefined };
  m.add(node, layer, [input], {
    kernel: { shape: [inputs, units], data: kernel },
    ...(bias ? { bias: vector(bias) } : {}),
  });
}

/**
 * Where PyTorch's flattened index `i` (C,H,W order) lands in ours (H,W,C order); the identity when
 * the input was not a flattened image.
 */
function rowOrder(image: [number, number, number] | undefined, size: number): Int32Array {
  const order = Int32Array.from({ length: size }, (_, i) => i);
  if (!image) return order;
  const [c, h, w] = image;
  for (let ci = 0; ci < c; ci++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) order[(ci * h + y) * w + x] = (y * w + x) * c + ci;
  return order;
}

/**
 * Add of a stored vector to a MatMul's output: the bias of that dense layer. Returns false when the
 * Add is not one (it then merges two computed values).
 */
export function mapBiasAdd(m: GraphMapper, node: NodeProto): boolean {
  const storedAt = [0, 1].filter((i) => m.constants.get(node.input[i] ?? ''));
  if (storedAt.length === 0) return false;
  const other = node.input[1 - storedAt[0]!]!;
  const computed = m.find(other);
  const dense = storedAt.length === 1 ? m.soleProducer(other) : undefined;
  const bias = m.constants.get(node.input[storedAt[0]!]!)!;
  if (!computed || dense?.type !== 'dense' || dense.useBias !== false || bias.values.length !== dense.units)
    throw m.unsupported(node, 'it adds a stored tensor, which headstart reads only as the bias of the MatMul before it');
  dense.useBias = true;
  m.weights.set(`${dense.name}.bias`, vector(bias.values));
  m.extendLayerOutput(node, computed);
  return true;
}

/** BatchNormalization in inference form: `batchNorm` with PyTorch's epsilon and momentum (ONNX's momentum is Keras's). */
export function mapBatchNorm(m: GraphMapper, node: NodeProto, attributes: Attributes): void {
  if (node.output.filter((o) => o !== '').length > 1 || numberOf(attributes, 'training_mode', 0) !== 0)
    throw m.unsupported(node, 'only the inference form (training_mode = 0, one output) is supported');
  const input = m.input(node);
  const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => m.constant(node, node.input[i]).values);
  const channels = input.shape[input.shape.length - 1]!;
  if (input.flattenedImage || gamma!.length !== channels)
    throw m.unsupported(node, `it normalizes ${gamma!.length} channels, where its input's last axis has ${channels}`);
  // ONNX's momentum has Keras's meaning: running = running·momentum + batch·(1 − momentum).
  const layer: LayerInput = {
    type: 'batchNorm',
    name: m.layerName(node, node.input[1]),
    momentum: floatOf(attributes, 'momentum', 0.9),
    epsilon: floatOf(attributes, 'epsilon', 1e-5),
  };
  m.add(
    node,
    layer,
    [input],
    { gamma: vector(gamma!), beta: vector(beta!), movingMean: vector(mean!), movingVariance: vector(variance!) },
    { pooled: input.pooled },
  );
}

function vector(values: Float32Array): Tensor {
  return { shape: [values.length], data: new Float32Array(values) };
}
