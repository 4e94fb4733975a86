import { near, type GraphIndex, type IndexedNode } from './onnx-graph-index.js';
import { Walk, type PatternMatch } from './onnx-patterns.js';
import { mapActivation } from './onnx-node-map.js';

/**
 * The exact GELU as PyTorch writes it below opset 20, `x · 0.5 · (1 + erf(x / √2))` (its factors in
 * any order and grouping, `x · (1/√2)` for the division), matched from its outermost Mul: a `gelu`
 * activation, folded into the dense layer before it.
 */
export function erfGelu(g: GraphIndex, at: IndexedNode): PatternMatch | undefined {
  if (at.node.opType !== 'Mul') return undefined;
  const walk = new Walk();
  walk.nodes.push(at.index);
  const factors = productFactors(g, at, walk);
  const half = factors.filter((f) => near(g.scalar(f), 0.5));
  const onePlusErf = factors.map((f) => erfTerm(g, f)).filter((t) => t !== undefined);
  if (factors.length !== 3 || half.length !== 1 || onePlusErf.length !== 1) return undefined;
  const x = factors.find((f) => f !== half[0] && f !== onePlusErf[0]!.value)!;
  if (onePlusErf[0]!.x !== x) return undefined;
  walk.nodes.push(...onePlusErf[0]!.nodes);
  return {
    nodes: walk.nodes,
    node: { opType: 'Erf', name: onePlusErf[0]!.erfName, input: [x], output: [at.node.output[0]!] },
    map: (m, node) => mapActivation(m, node, 'gelu'),
  };
}

/** The factors of a product of Muls, nested Muls (read once) flattened. */
function productFactors(g: GraphIndex, at: IndexedNode, walk: Walk): string[] {
  return at.node.input.flatMap((value) => {
    const inner = g.readersOf(value) === 1 ? g.producer(value, 'Mul') : undefined;
    if (!inner) return [value];
    walk.nodes.push(inner.index);
    return productFactors(g, inner, walk);
  });
}

/** `1 + erf(x / √2)`: its x and nodes, when `value` is that. */
function erfTerm(g: GraphIndex, value: string): { value: string; x: string; erfName: string | undefined; nodes: number[] } | undefined {
  const walk = new Walk();
  const add = walk.step(g, value, 'Add');
  const erfValue = add?.node.input.find((v) => g.producer(v, 'Erf'));
  if (!add || !erfValue || !near(g.scalar(add.node.input.find((v) => v !== erfValue)), 1)) return undefined;
  const erf = walk.step(g, erfValue, 'Erf')!;
  const div = walk.step(g, erf.node.input[0], 'Div');
  if (div && near(g.scalar(div.node.input[1]), Math.SQRT2))
    return { value, x: div.node.input[0]!, erfName: erf.node.name, nodes: walk.nodes };
  const mul = !div ? walk.step(g, erf.node.input[0], 'Mul') : undefined;
  const x = mul?.node.input.find((v) => !near(g.scalar(v), Math.SQRT1_2));
  if (mul && x !== undefined && mul.node.input.some((v) => near(g.scalar(v), Math.SQRT1_2)))
    return { value, x, erfName: erf.node.name, nodes: walk.nodes };
  return undefined;
}
