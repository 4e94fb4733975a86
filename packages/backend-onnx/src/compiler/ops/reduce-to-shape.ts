import type { Dim, GraphBuilder } from '../graph-builder.js';
import { int } from '../../onnx/attributes.js';

/**
 * Sum a broadcast gradient back to the shape of the operand it came from: over leading axes the
 * operand lacked and over axes where it had size 1 (the adjoint of numpy broadcasting).
 */
export function reduceToShape(b: GraphBuilder, grad: string, target: readonly Dim[]): string {
  const shape = b.shapeOf(grad);
  if (sameDims(shape, target)) return grad;
  const lead = shape.length - target.length;
  const axes: number[] = [];
  shape.forEach((d, i) => {
    if (i < lead || (target[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  // Summing away exactly the leading axes (a bias) needs no reshape afterwards.
  const dropsLead = axes.length === lead && sameDims(shape.slice(lead), target);
  if (dropsLead) return b.op('ReduceSum', [grad, b.int64s(axes)], { keepdims: int(0) }, [...target], 'dsum');
  let out = axes.length > 0 ? b.op('ReduceSum', [grad, b.int64s(axes)], { keepdims: int(1) }, kept, 'dsum') : grad;
  if (lead > 0 || !sameDims(kept, target)) out = reshapeTo(b, out, target);
  return out;
}

/** Reshape to a static shape (`'N'` becomes -1, so at most one batch dimension). */
export function reshapeTo(b: GraphBuilder, x: string, shape: readonly Dim[]): string {
  if (sameDims(b.shapeOf(x), shape)) return x;
  return b.op('Reshape', [x, b.int64s(shape.map((d) => (d === 'N' ? -1 : d)))], {}, [...shape], 'reshape');
}

function sameDims(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
