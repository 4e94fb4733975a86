import { int, ints } from '../attributes.js';
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

function convAttributes(g: WindowGeometry): ReturnType<typeof convAttributesOf> {
  return convAttributesOf(g);
}

function convAttributesOf(g: WindowGeometry) {
  return { kernel_shape: ints(g.kernel), strides: ints(g.strides), pads: ints(g.pads) };
}

function convInputGradient(b: GraphBuilder, dY: string, kernel: string, geometry: WindowGeometry, xShape: Dim[]): string {
  const { pads, outputPadding } = transposeAttributes(geometry);
  return b.op('ConvTranspose', [dY, kernel], { kernel_shape: ints(geometry.kernel), strides: ints(geometry.strides), pads: ints(pads), output_padding: ints(outputPadding) }, xShape, 'dconv_x');
}

function convKernelGradient(b: GraphBuilder, x: string, dY: string, geometry: WindowGeometry, kernelShape: Dim[]): string {
  const [o, c, kh, kw] = kernelShape as [number, number, number, number];
  const [ph, pw] = [geometry.input[0] + geometry.pads[0] + geometry.pads[2], geometry.input[1] + geometry.pads[1] + geometry.pads[3]];
  const reach = [ph - (geometry.output[0] - 1) * geometry.strides[0], pw - (geometry.output[1] - 1) * geometry.strides[1]] as const;
  const xT = b.op('Transpose', [x], { perm: ints([1, 0, 2, 3]) }, [c, 'N', ...geometry.input], 'x_t');
  const dYT = b.op('Transpose', [dY], { perm: ints([1, 0, 2, 3]) }, [o, 'N', ...geometry.output], 'dy_t');
  // With the batch as the channel axis, this convolution sums x·dY over samples and positions.
  let dW = b.op('Conv', [xT, dYT], { kernel_shape: ints(geometry.output), dilations: ints(geometry.strides), pads: ints(geometry.pads) }, [c, o, reach[0], reach[1]], 'dconv_w_t');
  if (reach[0] !== kh || reach[1] !== kw) {
    // A stride that does not divide the padded input leaves rows no output used: drop them.
    dW = b.op('Slice', [dW, b.int64s([0, 0]), b.int64s([kh, kw]), b.int64s([2, 3])], {}, [c, o, kh, kw], 'dconv_w_slice');
  }
  return b.op('Transpose', [dW], { perm: ints([1, 0, 2, 3]) }, [o, c, kh, kw], 'dconv_w');
}
