import { int } from '../../onnx/attributes.js';
import type { GraphBuilder } from '../graph-builder.js';
import type { ConvForm } from './conv-form.js';

/**
 * A pointwise convolution on a 1×1 map (a 1×1 kernel, or a larger one cut to its centre) as Gemms on the
 * `[N, C]` rows the map already is: `Y = X·Wᵀ`, `dX = dY·W`, `dW = dYᵀ·X`, with the kernel `[O, C, 1, 1]`
 * read as `[O, C]`. The Conv form's input gradient needed the kernel transposed every step (a `[320,1280]`
 * and a `[960,320]` copy in mobilenet_v2, three `[512,512]` in resnet18 on 32×32 inputs).
 */
export function pixelGemm(b: GraphBuilder, x: string, kernel: string): ConvForm {
  const [o, c] = b.shapeOf(kernel) as [number, number];
  const rows = b.op('Reshape', [x, b.int64s([-1, c])], {}, ['N', c], 'x_rows');
  const w = b.op('Reshape', [kernel, b.int64s([o, c])], {}, [o, c], 'w_rows');
  const y = b.op('Gemm', [rows, w], { transB: int(1) }, ['N', o], 'conv_rows');
  const dYRows = (gb: GraphBuilder, dY: string): string => gb.op('Reshape', [dY, gb.int64s([-1, o])], {}, ['N', o], 'dy_rows');
  return {
    y: b.op('Reshape', [y, b.int64s([-1, o, 1, 1])], {}, ['N', o, 1, 1], 'conv'),
    inputGradient: (gb, dY) => {
      const dX = gb.op('Gemm', [dYRows(gb, dY), w], {}, ['N', c], 'dconv_x_rows');
      return gb.op('Reshape', [dX, gb.int64s([-1, c, 1, 1])], {}, ['N', c, 1, 1], 'dconv_x');
    },
    kernelGradient: (gb, dY) => {
      const dW = gb.op('Gemm', [dYRows(gb, dY), rows], { transA: int(1) }, [o, c], 'dconv_w_rows');
      return gb.op('Reshape', [dW, gb.int64s([o, c, 1, 1])], {}, [o, c, 1, 1], 'dconv_w');
    },
  };
}
