import {
  HeadstartError,
  outputShape,
  validateSpec,
  type Activation,
  type LayerInput,
  type ModelSpec,
  type NamedTensors,
} from '@headstart/core';
import { decodeAttributes, type Attributes } from '../onnx/attributes.js';
import { LEAKY_RELU_SLOPE } from '../compiler/ops/activations.js';
import { Constants, type Constant } from './onnx-constants.js';
import { DataType, type GraphProto, type ModelProto, type NodeProto } from '../onnx/onnx-proto.js';
import { windowGeometry } from '../compiler/ops/window-geometry.js';

/** A node that has no headstart layer, and why. */
export class UnmappableNode extends HeadstartError {
  constructor(
    file: string,
    readonly node: NodeProto,
    readonly why: string,
    readonly index = -1,
  ) {
    super('NOT_SUPPORTED', `${file}: node "${nodeName(node)}" (op ${node.opType}) cannot be mapped to a headstart layer: ${why}`);
  }

  /** The same error, knowing where the node is in the graph. */
  at(file: string, index: number): UnmappableNode {
    return new UnmappableNode(file, this.node, this.why, index);
  }
}

/** A node's name, or its first output when it has none. */
export function nodeName(node: NodeProto): string {
  return node.name || node.output[0] || '(unnamed)';
}

/**
 * Maps a chain of ONNX nodes onto headstart layers, tracking the value flowing through the chain
 * and the channels-last shape it has in the spec being built.
 */
export class GraphMapper {
  readonly layers: LayerInput[] = [];
  readonly weights: NamedTensors = new Map();
  current: string;
  /** Set right after a flatten of an NCHW image `[C, H, W]`: the next dense layer's rows are reordered. */
  flattenedImage: [number, number, number] | undefined;
  private readonly usedNames = new Set<string>();

  constructor(
    readonly file: string,
    readonly inputShape: number[],
    input: string,
    readonly constants: Constants,
    reserved: readonly string[] = [],
  ) {
    this.current = input;
    for (const name of reserved) this.usedNames.add(name);
  }

  /** The spec so far. */
  spec(): ModelSpec {
    return validateSpec({ inputShape: this.inputShape, layers: this.layers }, this.file);
  }

  /** Channels-last shape of the current value. */
  shape(): number[] {
    return this.layers.length === 0 ? this.inputShape : outputShape(this.spec());
  }

  /** A readable, unique layer name from an ONNX node (`/features/conv1/Conv` → `features_conv1`). */
  layerName(node: NodeProto, weight: string | undefined, fallback: string): string {
    const fromWeight = weight?.replace(/\.(weight|bias)$/, '');
    const fromNode = node.name
      ?.replace(/^\//, '')
      .split('/')
      .filter((part) => part !== node.opType)
      .join('_');
    let name = (fromWeight ?? fromNode ?? '').replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=[0-9])/, '_');
    if (!name) name = `${fallback}${this.layers.length}`;
    for (let i = 1; this.usedNames.has(name); i++) name = `${name.replace(/_\d+$/, '')}_${i}`;
    this.usedNames.add(name);
    return name;
  }

  /** A weight by value name. @throws UnmappableNode when the node computes it rather than storing it, or it cannot be read. */
  constant(node: NodeProto, value: string | undefined): Constant {
    const found = value === undefined ? undefined : this.constants.get(value);
    if (!found) throw this.unsupported(node, this.constants.whyMissing(value ?? ''));
    return found;
  }

  /** The error for a node without a headstart layer. */
  unsupported(node: NodeProto, why: string): UnmappableNode {
    return new UnmappableNode(this.file, node, why);
  }

  /** Add a layer and its weights, and advance the chain to the node's output. */
  add(node: NodeProto, layer: LayerInput, weights: Record<string, { shape: number[]; data: Float32Array }> = {}): void {
    this.layers.push(layer);
    for (const [param, tensor] of Object.entries(weights)) this.weights.set(`${layer.name}.${param}`, tensor);
    this.current = node.output[0]!;
    this.flattenedImage = undefined;
  }
}

/** The one data input of a graph and its channels-last sample shape. */
export interface GraphInput {
  name: string;
  /** `[features]`, or `[H, W, C]` for an NCHW image input. */
  shape: number[];
  /** The batch size when the graph fixes it (a PyTorch export without dynamic axes), else undefined. */
  fixedBatch?: number;
}

/** @throws HeadstartError (NOT_SUPPORTED) unless the graph has one float input `[N, F]` or `[N, C, H, W]` of fixed sample size. */
export function graphInput(file: string, graph: GraphProto): GraphInput {
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const inputs = (graph.input ?? []).filter((i) => !initializers.has(i.name));
  if (inputs.length !== 1)
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `${file}: expected one data input, found ${inputs.length} (${inputs.map((i) => i.name).join(', ')})`,
    );
  const input = inputs[0]!;
  const elemType = input.type?.tensorType?.elemType;
  if (elemType !== undefined && elemType !== DataType.FLOAT)
    throw new HeadstartError('NOT_SUPPORTED', `${file}: input "${input.name}" has ONNX element type ${elemType}; expected float (1)`);
  const dims = (input.type?.tensorType?.shape?.dim ?? []).map((d) => Number(d.dimValue ?? 0));
  if (dims.length !== 2 && dims.length !== 4)
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `${file}: input "${input.name}" has rank ${dims.length}; expected [N, features] or [N, C, H, W]`,
    );
  if (dims.slice(1).some((d) => !(d > 0)))
    throw new HeadstartError('NOT_SUPPORTED', `${file}: input "${input.name}" needs fixed sizes after the batch axis, got [${dims}]`);
  const shape = dims.length === 4 ? [dims[2]!, dims[3]!, dims[1]!] : [dims[1]!];
  return { name: input.name, shape, ...(dims[0]! > 0 ? { fixedBatch: dims[0]! } : {}) };
}

/** Map a whole graph; see {@link importOnnxModel}. @throws UnmappableNode naming the first node without a headstart layer. */
export function mapOnnxGraph(file: string, model: ModelProto): { spec: ModelSpec; weights: NamedTensors } {
  const graph = model.graph!;
  const input = graphInput(file, graph);
  const mapper = mapChain({ file, graph, constants: Constants.of(graph), from: { value: input.name, shape: input.shape }, firstNode: 0 });
  return { spec: mapper.spec(), weights: mapper.weights };
}

/** Where {@link mapChain} starts and what it may use. */
export interface ChainStart {
  file: string;
  graph: GraphProto;
  /** Weights and constants by value name; Constant nodes met on the way are added. */
  constants: Constants;
  /** The value the chain starts from, and its channels-last sample shape. */
  from: { value: string; shape: number[] };
  /** Index of the first node to map; earlier nodes are taken to compute `from`. */
  firstNode: number;
  /** Layer names already taken. */
  reserved?: string[];
}

/**
 * Map the nodes from `firstNode` to the end, as one chain of layers from `from` to the graph's one
 * output. @throws UnmappableNode (with its index) at the first node that has no headstart layer;
 * HeadstartError when the chain does not end in the graph's output.
 */
export function mapChain(start: ChainStart): GraphMapper {
  const { file, graph } = start;
  const mapper = new GraphMapper(file, start.from.shape, start.from.value, start.constants, start.reserved);
  const nodes = graph.node ?? [];
  for (let index = start.firstNode; index < nodes.length; index++) {
    try {
      mapNode(mapper, nodes[index]!);
    } catch (error) {
      throw error instanceof UnmappableNode ? error.at(file, index) : error;
    }
  }
  const output = graph.output?.[0]?.name;
  if (graph.output?.length !== 1 || output !== mapper.current)
    throw new HeadstartError('NOT_SUPPORTED', `${file}: the graph is not a single chain from its input to one output`);
  return mapper;
}

/** Record a Constant node's value, if it holds a tensor; see {@link mapChain}. */
export function recordConstant(constants: Constants, node: NodeProto): void {
  const proto = node.attribute?.find((a) => a.name === 'value')?.t;
  if (node.opType === 'Constant' && proto) constants.add(node.output[0]!, proto);
}

const ACTIVATIONS: Record<string, Activation> = {
  Relu: 'relu',
  Sigmoid: 'sigmoid',
  Tanh: 'tanh',
  Softmax: 'softmax',
  LeakyRelu: 'leakyRelu',
  Gelu: 'gelu',
};

function mapNode(m: GraphMapper, node: NodeProto): void {
  const attributes = decodeAttributes(node.attribute);
  if (node.opType === 'Constant') return storeConstant(m, node);
  if (node.input[0] !== m.current)
    throw m.unsupported(node, 'it does not continue the chain of layers (branches and merges have no headstart layer)');
  switch (node.opType) {
    case 'Identity':
    case 'Dropout':
      m.current = node.output[0]!;
      return;
    case 'Conv':
      return mapConv(m, node, attributes);
    case 'Gemm':
    case 'MatMul':
      return mapDense(m, node, attributes);
    case 'Add':
      return mapBiasAdd(m, node);
    case 'MaxPool':
    case 'AveragePool':
      return mapPool(m, node, attributes);
    case 'GlobalAveragePool':
      return m.add(node, { type: 'globalAvgPool2d', name: m.layerName(node, undefined, 'gap') });
    case 'Flatten':
    case 'Reshape':
      return mapFlatten(m, node, attributes);
    case 'BatchNormalization':
      return mapBatchNorm(m, node, attributes);
    default:
      if (node.opType in ACTIVATIONS) return mapActivation(m, node, attributes);
      throw m.unsupported(node, 'no headstart layer computes it');
  }
}

function storeConstant(m: GraphMapper, node: NodeProto): void {
  const proto = node.attribute?.find((a) => a.name === 'value')?.t;
  if (!proto) throw m.unsupported(node, 'only tensor constants are supported');
  m.constants.add(node.output[0]!, proto);
}

function intsOf(attributes: Attributes, name: string, fallback: number[]): number[] {
  const a = attributes[name];
  return a?.kind === 'ints' ? [...a.value] : fallback;
}

function numberOf(attributes: Attributes, name: string, fallback: number): number {
  const a = attributes[name];
  return a && (a.kind === 'int' || a.kind === 'float') ? a.value : fallback;
}

/** `valid` or `same` when the node's padding is one of Keras's, else undefined. */
function paddingOf(
  m: GraphMapper,
  attributes: Attributes,
  kernel: [number, number],
  strides: [number, number],
): 'valid' | 'same' | undefined {
  const autoPad = attributes.auto_pad?.kind === 'string' ? attributes.auto_pad.value : 'NOTSET';
  if (autoPad === 'VALID') return 'valid';
  if (autoPad === 'SAME_UPPER') return 'same';
  if (autoPad !== 'NOTSET') return undefined;
  const pads = intsOf(attributes, 'pads', [0, 0, 0, 0]);
  if (pads.every((p) => p === 0)) return 'valid';
  const [h, w] = m.shape() as [number, number, number];
  const same = windowGeometry([h, w], kernel, strides, 'same').pads;
  return same.every((p, i) => p === pads[i]) ? 'same' : undefined;
}

function windowAttributes(
  m: GraphMapper,
  node: NodeProto,
  attributes: Attributes,
): { kernel: [number, number]; strides: [number, number]; padding: 'valid' | 'same' } {
  if (m.shape().length !== 3) throw m.unsupported(node, 'it needs an image input');
  const kernel = intsOf(attributes, 'kernel_shape', []) as [number, number];
  const strides = intsOf(attributes, 'strides', [1, 1]) as [number, number];
  if (kernel.length !== 2) throw m.unsupported(node, 'only 2-D windows are supported');
  if (intsOf(attributes, 'dilations', [1, 1]).some((d) => d !== 1)) throw m.unsupported(node, 'dilations are not supported');
  if (numberOf(attributes, 'ceil_mode', 0) !== 0) throw m.unsupported(node, 'ceil_mode is not supported');
  const padding = paddingOf(m, attributes, kernel, strides);
  if (!padding) throw m.unsupported(node, `its padding [${intsOf(attributes, 'pads', [])}] is neither "valid" nor Keras's "same"`);
  return { kernel, strides, padding };
}

function mapConv(m: GraphMapper, node: NodeProto, attributes: Attributes): void {
  if (numberOf(attributes, 'group', 1) !== 1) throw m.unsupported(node, 'grouped convolutions are not supported');
  const window = windowAttributes(m, node, attributes);
  const weight = m.constant(node, node.input[1]);
  const [out, inputs, kh, kw] = weight.dims as [number, number, number, number];
  const kernel = new Float32Array(weight.values.length);
  // [out, in, kh, kw] → [kh, kw, in, out]
  for (let o = 0; o < out; o++)
    for (let i = 0; i < inputs; i++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) {
          kernel[((y * kw + x) * inputs + i) * out + o] = weight.values[((o * inputs + i) * kh + y) * kw + x]!;
        }
  const bias = node.input[2] ? m.constant(node, node.input[2]).values : undefined;
  const name = m.layerName(node, node.input[1], 'conv');
  const layer: LayerInput = {
    type: 'conv2d',
    name,
    filters: out,
    kernelSize: [kh, kw],
    strides: window.strides,
    padding: window.padding,
    useBias: bias !== undefined,
  };
  m.add(node, layer, {
    kernel: { shape: [kh, kw, inputs, out], data: kernel },
    ...(bias ? { bias: { shape: [out], data: new Float32Array(bias) } } : {}),
  });
}

function mapDense(m: GraphMapper, node: NodeProto, attributes: Attributes): void {
  if (numberOf(attributes, 'alpha', 1) !== 1 || numberOf(attributes, 'beta', 1) !== 1 || numberOf(attributes, 'transA', 0) !== 0) {
    throw m.unsupported(node, 'only alpha = beta = 1 and transA = 0 are supported');
  }
  if (m.shape().length !== 1) throw m.unsupported(node, 'it needs flat input; a Flatten must come first');
  const weight = m.constant(node, node.input[1]);
  const transposed = numberOf(attributes, 'transB', 0) === 1;
  const [inputs, units] = (transposed ? [weight.dims[1]!, weight.dims[0]!] : weight.dims) as [number, number];
  const kernel = new Float32Array(inputs * units);
  const row = rowOrder(m.flattenedImage, inputs);
  for (let i = 0; i < inputs; i++)
    for (let o = 0; o < units; o++) kernel[row[i]! * units + o] = weight.values[transposed ? o * inputs + i : i * units + o]!;
  const bias = node.opType === 'Gemm' && node.input[2] ? m.constant(node, node.input[2]).values : undefined;
  const layer: LayerInput = { type: 'dense', name: m.layerName(node, node.input[1], 'dense'), units, useBias: bias !== undefined };
  m.add(node, layer, {
    kernel: { shape: [inputs, units], data: kernel },
    ...(bias ? { bias: { shape: [units], data: new Float32Array(bias) } } : {}),
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

/** `MatMul` then `Add` of a stored vector: the bias of the dense layer just added. */
function mapBiasAdd(m: GraphMapper, node: NodeProto): void {
  const last = m.layers[m.layers.length - 1];
  const bias = m.constants.get(node.input[1] ?? '');
  if (last?.type !== 'dense' || last.useBias !== false || !bias || bias.values.length !== last.units)
    throw m.unsupported(node, 'only the bias of a preceding MatMul is supported');
  last.useBias = true;
  m.weights.set(`${last.name}.bias`, { shape: [last.units], data: new Float32Array(bias.values) });
  m.current = node.output[0]!;
}

function mapPool(m: GraphMapper, node: NodeProto, attributes: Attributes): void {
  const window = windowAttributes(m, node, attributes);
  if (node.opType === 'AveragePool' && window.padding === 'same' && numberOf(attributes, 'count_include_pad', 0) !== 0) {
    throw m.unsupported(node, 'count_include_pad = 1 with padding is not supported');
  }
  const type = node.opType === 'MaxPool' ? 'maxPool2d' : 'avgPool2d';
  m.add(node, {
    type,
    name: m.layerName(node, undefined, 'pool'),
    poolSize: window.kernel,
    strides: window.strides,
    padding: window.padding,
  });
}

function mapFlatten(m: GraphMapper, node: NodeProto, attributes: Attributes): void {
  if (node.opType === 'Flatten' && numberOf(attributes, 'axis', 1) !== 1) throw m.unsupported(node, 'only axis = 1 is supported');
  if (node.opType === 'Reshape') {
    const target = Array.from(m.constant(node, node.input[1]).values);
    if (target.length !== 2 || !(target[1] === -1 || target[0] === -1 || target[0] === 0))
      throw m.unsupported(node, `only a reshape to [batch, -1] is supported, got [${target}]`);
  }
  const shape = m.shape();
  const image = shape.length === 3 ? ([shape[2]!, shape[0]!, shape[1]!] as [number, number, number]) : undefined;
  m.add(node, { type: 'flatten', name: m.layerName(node, undefined, 'flatten') });
  m.flattenedImage = image;
}

function mapBatchNorm(m: GraphMapper, node: NodeProto, attributes: Attributes): void {
  const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => m.constant(node, node.input[i]).values);
  const name = m.layerName(node, node.input[1], 'bn');
  const tensor = (values: Float32Array): { shape: number[]; data: Float32Array } => ({
    shape: [values.length],
    data: new Float32Array(values),
  });
  // ONNX's momentum has Keras's meaning: running = running·momentum + batch·(1 − momentum).
  const layer: LayerInput = {
    type: 'batchNorm',
    name,
    momentum: numberOf(attributes, 'momentum', 0.9),
    epsilon: numberOf(attributes, 'epsilon', 1e-5),
  };
  m.add(node, layer, { gamma: tensor(gamma!), beta: tensor(beta!), movingMean: tensor(mean!), movingVariance: tensor(variance!) });
}

function mapActivation(m: GraphMapper, node: NodeProto, attributes: Attributes): void {
  const activation = ACTIVATIONS[node.opType]!;
  if (activation === 'leakyRelu' && Math.abs(numberOf(attributes, 'alpha', 0.01) - LEAKY_RELU_SLOPE) > 1e-6)
    throw m.unsupported(node, `only alpha = ${LEAKY_RELU_SLOPE} is supported`);
  if (activation === 'gelu' && attributes.approximate?.kind === 'string' && attributes.approximate.value !== 'none')
    throw m.unsupported(node, 'only the exact (erf) gelu is supported');
  if (activation === 'softmax') {
    const rank = m.shape().length + 1;
    const axis = numberOf(attributes, 'axis', -1);
    if (rank !== 2 || (axis !== -1 && axis !== 1))
      throw m.unsupported(node, 'only a softmax over the features of flat values is supported');
  }
  const last = m.layers[m.layers.length - 1];
  if ((last?.type === 'dense' || last?.type === 'conv2d') && (last.activation ?? 'linear') === 'linear') {
    last.activation = activation;
    m.current = node.output[0]!;
    return;
  }
  // Element-wise: a pending row reordering still applies to the dense layer after it.
  const image = m.flattenedImage;
  m.add(node, { type: 'activation', name: m.layerName(node, undefined, 'act'), activation });
  m.flattenedImage = image;
}
