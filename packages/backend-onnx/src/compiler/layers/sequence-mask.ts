import { int } from '../../onnx/attributes.js';
import type { GraphBuilder } from '../graph-builder.js';

/** A padding mask `[N, T]` (int32 or float 0/1) as float32 0/1: a constant of the graph, never differentiated. */
export function floatMask(b: GraphBuilder, mask: string): string {
  return b.typeOf(mask) === 'float32' ? mask : b.op('Cast', [mask], { to: int(1) }, b.shapeOf(mask), 'mask_float');
}
