import type { Attributes } from '../onnx/attributes.js';
import type { NodeProto } from '../onnx/onnx-proto.js';
import type { GraphMapper } from './onnx-graph-mapper.js';
import { near, type GraphIndex, type IndexedNode } from './onnx-graph-index.js';
import { floatOf, intsOf, numberOf, shortestFloat32 } from './onnx-node-attributes.js';
import { otherInput, Walk, type PatternMatch } from './onnx-patterns.js';

/**
 * LayerNorm as PyTorch writes it below opset 17: `(x − mean(x)) / √(mean((x − mean(x))²) + ε) · γ + β`
 * (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add; the means over the last axis), matched
 * from its last Add: one `layerNorm`.
 */
export function decomposedLayerNorm(g: GraphIndex, at: IndexedNode): PatternMatch | undefined {
  if (at.node.opType !== 'Add') return undefined;
  const walk = new Walk();
  walk.nodes.push(at.index);
  const [mulValue, betaValue] = storedSecond(g, at.node);
  const mul = walk.step(g, mulValue, 'Mul');
  if (!mul) return undefined;
  const [divValue, gammaValue] = storedSecond(g, mul.node);
  const div = walk.step(g, divValue, 'Div');
  const sub = walk.step(g, div?.node.input[0], 'Sub');
  const sqrt = walk.step(g, div?.node.input[1], 'Sqrt');
  const addEps = walk.step(g, sqrt?.node.input[0], 'Add');
  if (!sub || !addEps || betaValue === undefined || gammaValue === undefined) return undefined;
  const x = sub.node.input[0]!;
  const mean = walk.step(g, sub.node.input[1], 'ReduceMean');
  const [varianceValue, epsValue] = storedSecond(g, addEps.node);
  const variance = walk.step(g, varianceValue, 'ReduceMean');
  const pow = walk.step(g, variance?.node.input[0], 'Pow');
  if (!mean || !variance || !pow || mean.node.input[0] !== x || pow.node.input[0] !== sub.node.output[0]) return undefined;
  if (!near(g.scalar(pow.node.input[1]), 2) || !lastAxis(mean.attributes) || !lastAxis(variance.attributes)) return undefined;
  const epsilon = g.scalar(epsValue);
  if (epsilon === undefined) return undefined;
  const node: NodeProto = { opType: 'ReduceMean', name: mean.node.name, input: [x], output: [at.node.output[0]!] };
  return {
    nodes: walk.nodes,
    node,
    map: (m, n) => addLayerNorm(m, n, shortestFloat32(epsilon), gammaValue, betaValue),
  };
}

/** LayerNormalization (opset 17) over the last axis: `layerNorm`. */
export function mapLayerNormalization(m: GraphMapper, node: NodeProto, attributes: Attributes): void {
  const input = m.input(node);
  const axis = numberOf(attributes, 'axis', -1);
  if (axis !== -1 && axis !== input.shape.length)
    throw m.unsupported(node, `only a LayerNorm over the last axis is supported, got axis ${axis}`);
  addLayerNorm(m, node, floatOf(attributes, 'epsilon', 1e-5), node.input[1], node.input[2] || undefined);
}

function addLayerNorm(
  m: GraphMapper,
  node: NodeProto,
  epsilon: number,
  gammaValue: string | undefined,
  betaValue: string | undefined,
): void {
  const input = m.input(node);
  const width = input.shape[input.shape.length - 1]!;
  const gamma = m.constant(node, gammaValue).values;
  const beta = betaValue === undefined ? new Float32Array(width) : m.constant(node, betaValue).values;
  if (gamma.length !== width || beta.length !== width)
    throw m.unsupported(node, `its scale and bias have ${gamma.length} and ${beta.length} values for a last axis of ${width}`);
  m.add(node, { type: 'layerNorm', name: m.layerName(node, gammaValue), epsilon }, [input], {
    gamma: { shape: [width], data: new Float32Array(gamma) },
    beta: { shape: [width], data: new Float32Array(beta) },
  });
}

/** A two-input node's computed input and its stored one (either order), or `[undefined, undefined]`. */
export function storedSecond(g: GraphIndex, node: NodeProto): [string | undefined, string | undefined] {
  const stored = node.input.find((v) => g.constants.get(v));
  const computed = stored === undefined ? undefined : otherInput(node, stored);
  return computed === undefined || g.constants.get(computed) ? [undefined, undefined] : [computed, stored];
}

/** Means over the last axis of a sequence `[N, T, D]` (−1 or 2). */
function lastAxis(attributes: Attributes): boolean {
  const axes = intsOf(attributes, 'axes', []);
  return axes.length === 1 && (axes[0] === -1 || axes[0] === 2);
}
