import type { GraphIndex, IndexedNode } from './onnx-graph-index.js';
import { intsOf, numberOf } from './onnx-node-attributes.js';
import { Walk, type PatternMatch } from './onnx-patterns.js';
import { isMask, paddingMaskSource } from './pattern-padding-mask.js';

/**
 * Mean pooling over the tokens a padding mask marks (sentence-transformers' `mean_pooling`):
 * `sum(x · m, tokens) / max(sum(m, tokens), ε)` with `m` the mask as `[N, T, 1]` floats (the
 * divisor clamped by Clip or Max), matched from the Div: `sequencePool` mode `mean` with the mask.
 */
export function maskedMeanPool(g: GraphIndex, at: IndexedNode): PatternMatch | undefined {
  if (at.node.opType !== 'Div') return undefined;
  const walk = new Walk();
  walk.nodes.push(at.index);
  const sum = walk.step(g, at.node.input[0], 'ReduceSum');
  const clamp = walk.step(g, at.node.input[1], 'Clip') ?? walk.step(g, at.node.input[1], 'Max');
  const count = walk.step(g, clamp?.node.input[0], 'ReduceSum');
  const product = walk.step(g, sum?.node.input[0], 'Mul');
  if (!sum || !count || !product || !overTokens(g, sum) || !overTokens(g, count)) return undefined;
  const maskValue = count.node.input[0]!;
  const x = product.node.input.find((v) => v !== maskValue);
  if (x === undefined || !product.node.input.includes(maskValue)) return undefined;
  const found = paddingMaskSource(g, maskValue, 'tokens');
  if (!isMask(found) || found.inverted) return undefined;
  walk.nodes.push(...found.nodes);
  return {
    nodes: walk.nodes,
    node: { opType: 'Div', name: at.node.name, input: [x, found.input], output: [at.node.output[0]!] },
    map: (m, node) => m.add(node, { type: 'sequencePool', name: m.layerName(node), mode: 'mean' }, [m.input(node, 0), m.input(node, 1)]),
  };
}

/** A ReduceSum over axis 1 (the tokens of `[N, T, D]`) that drops the axis. */
function overTokens(g: GraphIndex, at: IndexedNode): boolean {
  const axes = at.node.input[1] ? Array.from(g.constants.get(at.node.input[1])?.values ?? []) : intsOf(at.attributes, 'axes', []);
  return axes.length === 1 && axes[0] === 1 && numberOf(at.attributes, 'keepdims', 1) === 0;
}
