import { int, ints, type Attributes } from '../../onnx/attributes.js';
import type { Dim, GraphBuilder } from '../graph-builder.js';
import type { EmitContext } from '../tape.js';
import { transposeAttributes, type WindowGeometry } from './window-geometry.js';

/**
 * 2-D convolution of an NCHW input with an ONNX-layout kernel `[out, in, kh, kw]`.
 * Gradients: the input's through ConvTranspose with the same kernel; the kernel's as a convolution of
 * the transposed input (`[C, N, H, W]`) with the transposed output gradient (`[O, N, Ho, Wo]`) as
 * kernel, dilated by the stride.
 */
export function conv2d(ctx: EmitContext, x: string, kernel: string, bias: string | undefined, geometry: WindowGeometry): string {
  const { b } = ctx;
  const [n] = b.shapeOf(x);
  const [filters] = b.shapeOf(kernel);
  const inputs = bias === undefined ? [x, kernel] : [x, kernel, bias];
  const y = b.op('Conv', inputs, convAttributes(geometry), [n!, filters!, ...geometry.output], 'conv');
  ctx.tape?.record({
    op: 'Conv',
    inputs,
    outputs: [y],
    backward: (g, [dY], needs) => [
      needs[0] ? convInputGradient(g, dY!, kernel, geometry, b.shapeOf(x)) : undefined,
      needs[1] ? convKernelGradient(g, x, dY!, geometry, b.shapeOf(kernel)) : undefined,
      needs[2] ? g.op('ReduceSum', [dY!, g.int64s([0, 2, 3])], { keepdims: int(0) }, [filters!], 'dbias') : undefined,
    ],
  });
  return y;
}

function convAttributes(g: WindowGeometry): Attributes {
  return { kernel_shape: ints(g.kernel), strides: ints(g.strides), pads: ints(g.pads) };
}

function convInputGradient(b: GraphBuilder, dY: string, kernel: string, geometry: WindowGeometry, xShape: Dim[]): string {
  const { pads, outputPadding } = transposeAttributes(geometry);
  return b.op(
    'ConvTranspose',
    [dY, kernel],
    { kernel_shape: ints(geometry.kernel), strides: ints(geometry.strides), pads: ints(pads), output_padding: ints(outputPadding) },
    xShape,
    'dconv_x',
  );
}

/**
 * dW[o, c, i, j] = Σ_{n,y,x} dY[n, o, y, x] · X[n, c, y·s + i, x·s + j], as one GEMM: the input's
 * shifted windows are gathered with one strided Slice per kernel position (an im2col in ONNX ops)
 * and contracted with the output gradient over samples and positions. ORT's own Conv would do this
 * with a huge kernel and nine output positions, several times slower.
 */
function convKernelGradient(b: GraphBuilder, x: string, dY: string, geometry: WindowGeometry, kernelShape: Dim[]): string {
  const [o, c, kh, kw] = kernelShape as [number, number, number, number];
  const [ho, wo] = geometry.output;
  const [sh, sw] = geometry.strides;
  const [pt, pl, pb, pr] = geometry.pads;
  let xT = b.op('Transpose', [x], { perm: ints([1, 0, 2, 3]) }, [c, 'N', ...geometry.input], 'x_t');
  if (pt + pl + pb + pr > 0) {
    const padded = [geometry.input[0] + pt + pb, geometry.input[1] + pl + pr];
    xT = b.op('Pad', [xT, b.int64s([0, 0, pt, pl, 0, 0, pb, pr])], {}, [c, 'N', ...padded], 'x_pad');
  }
  const windows: string[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const bounds = [b.int64s([i, j]), b.int64s([i + (ho - 1) * sh + 1, j + (wo - 1) * sw + 1]), b.int64s([2, 3]), b.int64s([sh, sw])];
      windows.push(b.op('Slice', [xT, ...bounds], {}, [c, 'N', ho, wo], 'x_window'));
    }
  }
  const stacked = windows.length === 1 ? windows[0]! : b.op('Concat', windows, { axis: int(0) }, [kh * kw * c, 'N', ho, wo], 'x_windows');
  const patches = b.op('Reshape', [stacked, b.int64s([kh * kw * c, -1])], {}, [kh * kw * c, 'N'], 'patches');
  const dYT = b.op('Transpose', [dY], { perm: ints([1, 0, 2, 3]) }, [o, 'N', ho, wo], 'dy_t');
  const dYFlat = b.op('Reshape', [dYT, b.int64s([o, -1])], {}, [o, 'N'], 'dy_flat');
  const dW = b.op('Gemm', [dYFlat, patches], { transB: int(1) }, [o, kh * kw * c], 'dconv_w_flat');
  const dWWindows = b.op('Reshape', [dW, b.int64s([o, kh, kw, c])], {}, [o, kh, kw, c], 'dconv_w_okkc');
  return b.op('Transpose', [dWWindows], { perm: ints([0, 3, 1, 2]) }, [o, c, kh, kw], 'dconv_w');
}
