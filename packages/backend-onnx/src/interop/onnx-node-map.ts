import type { Activation, LayerInput } from '@headstart/core';
import { decodeAttributes, type Attributes } from '../onnx/attributes.js';
import { LEAKY_RELU_SLOPE } from '../compiler/ops/activations.js';
import type { NodeProto } from '../onnx/onnx-proto.js';
import type { GraphMapper, MappedValue } from './onnx-graph-mapper.js';
import { numberOf } from './onnx-node-attributes.js';
import { mapBatchNorm, mapBiasAdd, mapConv, mapDense } from './onnx-weighted-ops.js';
import { mapGlobalAveragePool, mapPool } from './onnx-window-ops.js';
import { mapGather, mapTableAdd } from './onnx-sequence-ops.js';
import { mapLayerNormalization } from './pattern-layer-norm.js';

const ACTIVATIONS: Record<string, Activation> = {
  Relu: 'relu',
  Sigmoid: 'sigmoid',
  Tanh: 'tanh',
  Softmax: 'softmax',
  LeakyRelu: 'leakyRelu',
  Gelu: 'gelu',
};

/** Ops that also compute shapes and indices (PyTorch's `x.size(1)`, `view` targets): no layer when they read no computed value. */
const INDEX_OPS = new Set(['Gather', 'Unsqueeze', 'Squeeze', 'Concat', 'Slice', 'ConstantOfShape', 'Range', 'Cast']);

/** Map one node onto a layer (or onto nothing: Identity, Dropout, a bias). @throws UnmappableNode when no headstart layer computes it. */
export function mapNode(m: GraphMapper, node: NodeProto): void {
  const attributes = decodeAttributes(node.attribute);
  if (isIndexComputation(m, node)) return;
  switch (node.opType) {
    case 'Identity':
      return mapIdentity(m, node);
    case 'Dropout':
      return m.alias(node, m.input(node));
    case 'Conv':
      return mapConv(m, node, attributes);
    case 'Gemm':
    case 'MatMul':
      return mapDense(m, node, attributes);
    case 'Add':
      if (!mapTableAdd(m, node) && !mapBiasAdd(m, node)) mapAdd(m, node);
      return;
    case 'Gather':
      return mapGather(m, node, attributes);
    case 'LayerNormalization':
      return mapLayerNormalization(m, node, attributes);
    case 'Concat':
      return mapConcat(m, node, attributes);
    case 'MaxPool':
    case 'AveragePool':
      return mapPool(m, node, attributes);
    case 'GlobalAveragePool':
      return mapGlobalAveragePool(m, node);
    case 'Flatten':
    case 'Reshape':
      return mapFlatten(m, node, attributes);
    case 'BatchNormalization':
      return mapBatchNorm(m, node, attributes);
    case 'Clip':
      return mapActivation(m, node, clipActivation(m, node, attributes));
    default:
      if (node.opType in ACTIVATIONS) return mapActivation(m, node, checkedActivation(m, node, attributes));
      throw m.unsupported(node, 'no headstart layer computes it');
  }
}

/**
 * Shape and index arithmetic (Shape, and the ops after it that read no computed value): no layer;
 * a node that needs its result as data fails there. A table Gather is never one.
 */
function isIndexComputation(m: GraphMapper, node: NodeProto): boolean {
  if (node.opType === 'Shape') return true;
  if (!INDEX_OPS.has(node.opType) || (node.opType === 'Gather' && m.constants.get(node.input[0] ?? ''))) return false;
  return node.input.every((v) => !v || (!m.find(v) && !m.tables.has(v)));
}

/** Identity of a computed value is that value; of a weight (PyTorch's copy of an equal initializer), that weight. */
function mapIdentity(m: GraphMapper, node: NodeProto): void {
  const computed = m.find(node.input[0] ?? '');
  if (computed) m.alias(node, computed);
  else m.constants.alias(node.output[0]!, node.input[0] ?? '');
}

/** Add of two computed values of one shape: `add` (a residual merge). */
function mapAdd(m: GraphMapper, node: NodeProto): void {
  if (node.input.length !== 2) throw m.unsupported(node, `it has ${node.input.length} inputs; expected 2`);
  const [a, b] = [m.input(node, 0), m.input(node, 1)];
  if (a.shape.join() !== b.shape.join() || !sameLayout(a, b))
    throw m.unsupported(node, `it adds values of shapes [${a.shape}] and [${b.shape}]; headstart adds values of one shape`);
  m.add(node, { type: 'add', name: m.layerName(node) }, [a, b], {}, layoutOf(a));
}

/** Concat along the channels (ONNX axis 1 of NCHW, the last axis here): `concat`. */
function mapConcat(m: GraphMapper, node: NodeProto, attributes: Attributes): void {
  const values = node.input.map((_, i) => m.input(node, i));
  const rank = values[0]!.shape.length + 1;
  const axis = numberOf(attributes, 'axis', 1);
  if (axis !== 1 && axis !== 1 - rank)
    throw m.unsupported(node, `only a concat along the channels (axis 1) is supported, got axis ${axis}`);
  const others = (v: MappedValue): string => v.shape.slice(0, -1).join();
  if (values.some((v) => v.shape.length !== rank - 1 || others(v) !== others(values[0]!) || v.flattenedImage || !sameLayout(v, values[0]!)))
    throw m.unsupported(
      node,
      `it joins values of shapes ${values.map((v) => `[${v.shape}]`).join(', ')}, which differ beyond the channels`,
    );
  if (values.length < 2) return m.alias(node, values[0]!);
  m.add(node, { type: 'concat', name: m.layerName(node) }, values, {}, layoutOf(values[0]!));
}

/** Flatten (axis 1) and Reshape to `[batch, -1]`: `flatten` of an image; nothing for a value already flat. */
function mapFlatten(m: GraphMapper, node: NodeProto, attributes: Attributes): void {
  const input = m.input(node);
  if (node.opType === 'Flatten' && numberOf(attributes, 'axis', 1) !== 1) throw m.unsupported(node, 'only axis = 1 is supported');
  if (node.opType === 'Reshape') {
    const size = input.shape.reduce((a, d) => a * d, 1);
    const target = Array.from(m.constant(node, node.input[1]).values);
    const flat = target.length === 2 && (target[1] === -1 || ((target[0] === -1 || target[0] === 0) && target[1] === size));
    if (!flat) throw m.unsupported(node, `only a reshape to [batch, -1] is supported, got [${target}]`);
  }
  if (input.shape.length === 1) return m.alias(node, input);
  if (input.pooled) return m.alias(node, { ...input, pooled: false });
  const [h, w, c] = input.shape as [number, number, number];
  m.add(node, { type: 'flatten', name: m.layerName(node) }, [input], {}, { flattenedImage: [c, h, w] });
}

/** Clip(0, 6) is `relu6`, Clip(0, ∞) `relu`: min and max from inputs (opset 11+) or attributes. */
function clipActivation(m: GraphMapper, node: NodeProto, attributes: Attributes): Activation {
  const bound = (index: number, attribute: string, fallback: number): number => {
    const name = node.input[index];
    if (!name) return numberOf(attributes, attribute, fallback);
    const value = m.constant(node, name).values;
    if (value.length !== 1) throw m.unsupported(node, `its ${attribute} is not a scalar`);
    return value[0]!;
  };
  const [low, high] = [bound(1, 'min', -Infinity), bound(2, 'max', Infinity)];
  if (low === 0 && high === 6) return 'relu6';
  if (low === 0 && high === Infinity) return 'relu';
  throw m.unsupported(node, `only Clip(0, 6) (relu6) and Clip(0, ∞) (relu) are supported, got Clip(${low}, ${high})`);
}

function checkedActivation(m: GraphMapper, node: NodeProto, attributes: Attributes): Activation {
  const activation = ACTIVATIONS[node.opType]!;
  if (activation === 'leakyRelu' && Math.abs(numberOf(attributes, 'alpha', 0.01) - LEAKY_RELU_SLOPE) > 1e-6)
    throw m.unsupported(node, `only alpha = ${LEAKY_RELU_SLOPE} is supported`);
  if (activation === 'gelu' && attributes.approximate?.kind === 'string' && attributes.approximate.value !== 'none')
    throw m.unsupported(node, 'only the exact (erf) gelu is supported');
  if (activation === 'softmax') {
    const rank = m.input(node).shape.length + 1;
    const axis = numberOf(attributes, 'axis', -1);
    if (rank !== 2 || (axis !== -1 && axis !== 1))
      throw m.unsupported(node, 'only a softmax over the features of flat values is supported');
  }
  return activation;
}

/** An activation: folded into the conv or dense layer before it when nothing else reads that layer, else an `activation` layer. */
export function mapActivation(m: GraphMapper, node: NodeProto, activation: Activation): void {
  const input = m.input(node);
  const producer = m.soleProducer(node.input[0]!);
  if ((producer?.type === 'dense' || producer?.type === 'conv2d') && (producer.activation ?? 'linear') === 'linear') {
    producer.activation = activation;
    return m.alias(node, input);
  }
  // Element-wise: a pending row reordering still applies to the dense layer after it.
  const layer: LayerInput = { type: 'activation', name: m.layerName(node), activation };
  m.add(node, layer, [input], {}, layoutOf(input));
}

function layoutOf(value: MappedValue): Pick<MappedValue, 'flattenedImage' | 'pooled'> {
  return {
    ...(value.flattenedImage ? { flattenedImage: value.flattenedImage } : {}),
    ...(value.pooled ? { pooled: true } : {}),
  };
}

function sameLayout(a: MappedValue, b: MappedValue): boolean {
  return String(a.flattenedImage) === String(b.flattenedImage) && Boolean(a.pooled) === Boolean(b.pooled);
}
