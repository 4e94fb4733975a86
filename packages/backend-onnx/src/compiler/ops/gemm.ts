import { int } from '../../onnx/attributes.js';
import type { Dim, GraphBuilder } from '../graph-builder.js';
import type { EmitContext } from '../tape.js';
import { reduceToShape } from './reduce-to-shape.js';

/** Transposition flags of a Gemm (`Y = op(A)·op(B) + C`). */
export interface GemmOptions {
  transA?: boolean | undefined;
  transB?: boolean | undefined;
}

/**
 * `Y = op(A)·op(B) + C` with ONNX Gemm (alpha = beta = 1). Dense layers use it with the canonical
 * `[in, out]` kernel as B, so no transposition is needed in either direction.
 */
export function gemm(ctx: EmitContext, a: string, bMat: string, c: string | undefined, options: GemmOptions = {}): string {
  const { b } = ctx;
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  const shape = gemmShape(b.shapeOf(a), b.shapeOf(bMat), transA, transB);
  const attributes = { transA: int(transA ? 1 : 0), transB: int(transB ? 1 : 0) };
  const inputs = c === undefined ? [a, bMat] : [a, bMat, c];
  const y = b.op('Gemm', inputs, attributes, shape, 'gemm');
  ctx.tape?.record({ op: 'Gemm', inputs, outputs: [y], backward: (g, [dY], needs) => gemmBackward(g, dY!, needs, inputs, transA, transB) });
  return y;
}

function gemmShape(a: Dim[], bm: Dim[], transA: boolean, transB: boolean): Dim[] {
  return [transA ? a[1]! : a[0]!, transB ? bm[0]! : bm[1]!];
}

/** dA = dY·op(B)ᵀ and dB = op(A)ᵀ·dY, each transposed back when the forward op transposed it. */
function gemmBackward(
  b: GraphBuilder,
  dY: string,
  needs: boolean[],
  inputs: string[],
  transA: boolean,
  transB: boolean,
): (string | undefined)[] {
  const [a, bm, c] = inputs as [string, string, string | undefined];
  const mm = (x: string, y: string, tx: boolean, ty: boolean, shape: Dim[]): string =>
    b.op('Gemm', [x, y], { transA: int(tx ? 1 : 0), transB: int(ty ? 1 : 0) }, shape, 'dgemm');
  const dA = !needs[0] ? undefined : transA ? mm(bm, dY, transB, true, b.shapeOf(a)) : mm(dY, bm, false, !transB, b.shapeOf(a));
  const dB = !needs[1] ? undefined : transB ? mm(dY, a, true, transA, b.shapeOf(bm)) : mm(a, dY, !transA, false, b.shapeOf(bm));
  const dC = c !== undefined && needs[2] ? reduceToShape(b, dY, b.shapeOf(c)) : undefined;
  return [dA, dB, dC];
}
