import type { NodeProto } from '../onnx/onnx-proto.js';
import type { GraphMapper } from './onnx-graph-mapper.js';
import { UnmappableNode } from './onnx-graph-mapper.js';
import type { GraphIndex, IndexedNode } from './onnx-graph-index.js';
import { intsOf, numberOf } from './onnx-node-attributes.js';
import { Walk, type PatternMatch } from './onnx-patterns.js';
import { isMask, notAMaskReason, paddingMaskSource } from './pattern-padding-mask.js';
import { storedSecond } from './pattern-layer-norm.js';

/** Scores below this are masked out: PyTorch's masked_fill uses finfo.min, BERT's additive mask −10000. */
const MASKED = -1e4;

/** A projection `x·W + b` (MatMul then Add). */
interface Projection {
  x: string;
  kernel: string;
  bias: string;
}

/** A projection split into heads: `[N, T, D]` → `[N, H, T, D/H]` (keys transposed to `[N, H, D/H, T]`). */
interface Heads extends Projection {
  heads: number;
  size: number;
}

/**
 * Multi-head self-attention as Hugging Face's DistilBERT and BERT write it, matched from the bias Add
 * of its output projection: Q, K, V projections (MatMul + Add) of one value, each reshaped to
 * `[N, T, H, D/H]` and transposed to heads; `q·kᵀ` scaled by `1/√(D/H)` (q divided first, or the
 * product); padded keys masked — `Where(mask == 0, finfo.min, scores)` (masked_fill) or
 * `scores + (1 − mask)·−10000` — with the mask computed from a model input; Softmax over the keys;
 * `·V`; the heads merged back (Transpose, Reshape); the output projection. One `attention` layer.
 * @throws UnmappableNode for a Softmax·V block whose scores are masked otherwise (a causal mask).
 */
export function attentionBlock(g: GraphIndex, at: IndexedNode): PatternMatch | undefined {
  if (at.node.opType !== 'Add') return undefined;
  const walk = new Walk();
  walk.nodes.push(at.index);
  const [outValue, outBias] = storedSecond(g, at.node);
  const out = walk.step(g, outValue, 'MatMul');
  const merge = walk.step(g, out?.node.input[0], 'Reshape');
  const unsplit = walk.step(g, merge?.node.input[0], 'Transpose');
  const context = walk.step(g, unsplit?.node.input[0], 'MatMul');
  const softmax = walk.step(g, context?.node.input[0], 'Softmax');
  if (!out || !unsplit || !context || !softmax || !sameInts(unsplit, [0, 2, 1, 3]) || !g.constants.get(out.node.input[1] ?? ''))
    return undefined;
  const fail = (node: NodeProto, why: string): UnmappableNode =>
    new UnmappableNode(g.file, node, why).at(g.file, g.producer(node.output[0])!.index);
  const axis = numberOf(softmax.attributes, 'axis', -1);
  if (axis !== -1 && axis !== 3) throw fail(softmax.node, `attention takes a softmax over the keys (axis −1), got axis ${axis}`);
  const v = heads(g, context.node.input[1]!, 'value', walk);
  const scores = maskedScores(g, softmax.node.input[0]!, walk, fail);
  if (!v || !scores.q || !scores.k)
    throw fail(softmax.node, 'its queries, keys and values are not projections of one value split into heads');
  const [q, k] = [scores.q, scores.k];
  const x = q.x;
  if (k.x !== x || v.x !== x) throw fail(softmax.node, 'its queries, keys and values project different values (only self-attention maps)');
  if (q.heads !== k.heads || q.heads !== v.heads || q.size !== k.size || q.size !== v.size)
    throw fail(softmax.node, 'its queries, keys and values are split into different heads');
  const merged = g.shapeEntries(merge!.node.input[1]);
  if (merged?.length !== 3 || merged[2] !== q.heads * q.size)
    throw fail(merge!.node, `it merges the heads to [${merged ?? '?'}], where [batch, tokens, ${q.heads * q.size}] was expected`);
  if (Math.abs(scores.scale - Math.sqrt(q.size)) > 1e-4 * Math.sqrt(q.size))
    throw fail(softmax.node, `its scores are scaled by 1/${scores.scale}; headstart's attention scales by 1/√${q.size}`);
  if (new Set(scores.masks).size > 1)
    throw fail(softmax.node, `its scores are masked by several inputs (${[...new Set(scores.masks)].join(', ')})`);
  const mask = scores.masks[0];
  return {
    nodes: walk.nodes,
    node: { opType: 'Softmax', name: softmax.node.name, input: mask === undefined ? [x] : [x, mask], output: [at.node.output[0]!] },
    map: (m, node) => addAttention(m, node, q.heads, [q, k, v, { x, kernel: out.node.input[1]!, bias: outBias! }]),
  };
}

function addAttention(m: GraphMapper, node: NodeProto, heads: number, projections: Projection[]): void {
  const inputs = node.input.map((_, i) => m.input(node, i));
  const width = inputs[0]!.shape[inputs[0]!.shape.length - 1]!;
  const weights: Record<string, { shape: number[]; data: Float32Array }> = {};
  ['q', 'k', 'v', 'out'].forEach((p, i) => {
    const kernel = m.constant(node, projections[i]!.kernel);
    const bias = m.constant(node, projections[i]!.bias);
    if (kernel.dims.join() !== `${width},${width}` || bias.values.length !== width)
      throw m.unsupported(
        node,
        `its ${p} projection has a weight [${kernel.dims}] and ${bias.values.length} biases; expected [${width}, ${width}] and ${width}`,
      );
    weights[`${p}Kernel`] = { shape: [width, width], data: new Float32Array(kernel.values) };
    weights[`${p}Bias`] = { shape: [width], data: new Float32Array(bias.values) };
  });
  m.add(node, { type: 'attention', name: m.layerName(node), heads }, inputs, weights);
}

/** The scores before the softmax: `q·kᵀ` scaled, then masked by zero or more padding masks. */
interface Scores {
  q?: Heads | undefined;
  k?: Heads | undefined;
  scale: number;
  masks: string[];
}

/** The scores under their masks: Where (masked_fill) and Add (an additive mask) peeled off, down to {@link scaledScores}. */
function maskedScores(g: GraphIndex, value: string, walk: Walk, fail: (node: NodeProto, why: string) => UnmappableNode): Scores {
  const where = g.producer(value, 'Where');
  if (where) {
    walk.nodes.push(where.index);
    const fillFirst = (g.scalar(where.node.input[1]) ?? 0) <= MASKED;
    const fillSecond = (g.scalar(where.node.input[2]) ?? 0) <= MASKED;
    if (fillFirst === fillSecond) throw fail(where.node, 'it masks the attention scores with something other than a large negative number');
    const found = paddingMaskSource(g, where.node.input[0]!, 'keys');
    if (!isMask(found)) throw fail(where.node, `its condition ${notAMaskReason(found)}`);
    if (found.inverted !== fillFirst) throw fail(where.node, 'it masks the tokens its mask marks 1 instead of the padding');
    walk.nodes.push(...found.nodes);
    const inner = maskedScores(g, where.node.input[fillFirst ? 2 : 1]!, walk, fail);
    return { ...inner, masks: [found.input, ...inner.masks] };
  }
  const add = g.producer(value, 'Add');
  if (add) {
    walk.nodes.push(add.index);
    const masks = add.node.input.map((v) => additiveMask(g, v));
    const maskAt = masks.findIndex(isMask);
    const scoresSide = maskAt >= 0 ? 1 - maskAt : add.node.input.findIndex((v) => isScoresSide(g, v));
    if (scoresSide < 0) throw fail(add.node, 'it adds to the attention scores something headstart cannot tell from them');
    const mask = masks[1 - scoresSide]!;
    if (!isMask(mask))
      throw fail(
        add.node,
        `it adds to the attention scores a value that is not a padding mask: ${notAMaskReason(mask)} (a causal or other mask has no headstart layer)`,
      );
    walk.nodes.push(...mask.nodes);
    const inner = maskedScores(g, add.node.input[scoresSide]!, walk, fail);
    return { ...inner, masks: [mask.input, ...inner.masks] };
  }
  return scaledScores(g, value, walk);
}

/** Whether `value` is computed from the scores (rather than being a mask added to them). */
function isScoresSide(g: GraphIndex, value: string): boolean {
  const op = g.producer(value)?.node.opType;
  return (
    op === 'Where' ||
    op === 'MatMul' ||
    op === 'Div' ||
    op === 'Add' ||
    (op === 'Mul' && g.producer(value)!.node.input.some((v) => g.producer(v, 'MatMul')))
  );
}

/**
 * An additive padding mask, 0 at tokens and ≤ −10000 at padding: `(1 − mask) · c` (either order), or
 * `Where(padding, c, 1 − mask)` (newer transformers fill `1 − mask` with finfo.min): the mask's source.
 */
function additiveMask(g: GraphIndex, value: string): ReturnType<typeof paddingMaskSource> {
  const where = g.producer(value, 'Where');
  if (where) return filledMask(g, where);
  const mul = g.producer(value, 'Mul');
  const factor = mul?.node.input.find((v) => (g.scalar(v) ?? 0) <= MASKED);
  if (!mul || factor === undefined) return { stop: g.producer(value), value };
  const found = paddingMaskSource(g, mul.node.input.find((v) => v !== factor)!, 'keys');
  if (!isMask(found)) return found;
  if (!found.inverted) return { stop: mul, value };
  return { ...found, nodes: [mul.index, ...found.nodes] };
}

/** `Where(padding, c, zero at tokens)` or `Where(tokens, zero at tokens, c)`, c ≤ −10000. */
function filledMask(g: GraphIndex, where: IndexedNode): ReturnType<typeof paddingMaskSource> {
  const [condition, first, second] = where.node.input as [string, string, string];
  const fillFirst = (g.scalar(first) ?? 0) <= MASKED;
  if (fillFirst === (g.scalar(second) ?? 0) <= MASKED) return { stop: where, value: where.node.output[0]! };
  const mask = paddingMaskSource(g, condition, 'keys');
  const zeros = paddingMaskSource(g, fillFirst ? second : first, 'keys');
  if (!isMask(mask)) return mask;
  if (!isMask(zeros)) return zeros;
  if (mask.inverted !== fillFirst || !zeros.inverted || zeros.input !== mask.input) return { stop: where, value: where.node.output[0]! };
  return { ...mask, nodes: [where.index, ...mask.nodes, ...zeros.nodes] };
}

/** `q·kᵀ / c`, `q·kᵀ · (1/c)`, `(q / c)·kᵀ` or `(q · (1/c))·kᵀ`. */
function scaledScores(g: GraphIndex, value: string, walk: Walk): Scores {
  const scaled = scaling(g, value);
  const product = walk.step(g, scaled ? scaled.inner : value, 'MatMul');
  if (scaled) walk.nodes.push(scaled.index);
  if (!product) return { scale: 1, masks: [] };
  const queryScaling = scaled ? undefined : scaling(g, product.node.input[0]!);
  if (queryScaling) walk.nodes.push(queryScaling.index);
  const q = heads(g, queryScaling ? queryScaling.inner : product.node.input[0]!, 'query', walk);
  const k = heads(g, product.node.input[1]!, 'key', walk);
  return { q, k, scale: (scaled ?? queryScaling)?.divisor ?? 1, masks: [] };
}

/** A Div by a constant c, or a Mul by 1/c: the value divided and c. */
function scaling(g: GraphIndex, value: string): { inner: string; divisor: number; index: number } | undefined {
  const div = g.producer(value, 'Div');
  const divisor = g.scalar(div?.node.input[1]);
  if (div && divisor !== undefined) return { inner: div.node.input[0]!, divisor, index: div.index };
  const mul = g.producer(value, 'Mul');
  const factor = mul?.node.input.find((v) => g.scalar(v) !== undefined);
  if (mul && factor !== undefined)
    return { inner: mul.node.input.find((v) => v !== factor)!, divisor: 1 / g.scalar(factor)!, index: mul.index };
  return undefined;
}

/**
 * A projection split into heads: Transpose `[0, 2, 1, 3]` of a Reshape to `[N, T, H, D/H]`; keys
 * transposed once more (`[0, 2, 3, 1]` in one Transpose, or `[0, 1, 3, 2]` after the first).
 */
function heads(g: GraphIndex, value: string, role: 'query' | 'key' | 'value', walk: Walk): Heads | undefined {
  const first = walk.step(g, value, 'Transpose');
  let split: IndexedNode | undefined;
  if (first && role !== 'key') split = sameInts(first, [0, 2, 1, 3]) ? first : undefined;
  else if (first && sameInts(first, [0, 2, 3, 1])) split = first;
  else if (first && sameInts(first, [0, 1, 3, 2])) {
    const inner = walk.step(g, first.node.input[0], 'Transpose');
    split = inner && sameInts(inner, [0, 2, 1, 3]) ? inner : undefined;
  }
  if (!split) return undefined;
  const reshape = walk.step(g, split.node.input[0], 'Reshape');
  const shape = g.shapeEntries(reshape?.node.input[1]);
  if (!reshape || shape?.length !== 4) return undefined;
  const [headCount, size] = [shape[2]!, shape[3]!];
  const bias = walk.step(g, reshape.node.input[0], 'Add');
  const [productValue, biasValue] = bias ? storedSecond(g, bias.node) : [undefined, undefined];
  const product = walk.step(g, productValue, 'MatMul');
  const kernel = product?.node.input[1];
  if (!product || !kernel || !g.constants.get(kernel) || !(headCount > 0) || !(size > 0)) return undefined;
  return { x: product.node.input[0]!, kernel, bias: biasValue!, heads: headCount, size };
}

function sameInts(at: IndexedNode, expected: number[]): boolean {
  return intsOf(at.attributes, 'perm', []).join() === expected.join();
}
