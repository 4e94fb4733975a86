import { int, ints, string } from '../../onnx/attributes.js';
import type { Dim, GraphBuilder } from '../graph-builder.js';
import type { EmitContext } from '../tape.js';
import { reshapeTo } from './reduce-to-shape.js';
import { isPadded, transposeAttributes, type WindowGeometry } from './window-geometry.js';

/**
 * Max pooling of an NCHW input. The gradient goes to each window's first maximum. Windows that tile
 * the image without padding (the usual 2×2 pooling) find it with element-wise ops, several times
 * faster than onnxruntime's MaxPool-with-Indices kernel; other windows use that kernel's Indices
 * output (positions in the flattened input) and ScatterElements to add each output's gradient back.
 */
export function maxPool(ctx: EmitContext, x: string, geometry: WindowGeometry): string {
  const { b } = ctx;
  const shape = b.shapeOf(x);
  const out: Dim[] = [shape[0]!, shape[1]!, ...geometry.output];
  const attributes = { kernel_shape: ints(geometry.kernel), strides: ints(geometry.strides), pads: ints(geometry.pads) };
  if (!ctx.tape?.needsGradient(x)) return b.op('MaxPool', [x], attributes, out, 'maxpool');
  if (tiles(geometry)) {
    const y = b.op('MaxPool', [x], attributes, out, 'maxpool');
    ctx.tape.record({ op: 'MaxPool', inputs: [x], outputs: [y], backward: (g, [dY]) => [tiledMaxPoolBackward(g, x, y, dY!, geometry)] });
    return y;
  }
  const [y, indices] = b.opMulti('MaxPool', [x], attributes, [
    { shape: out, hint: 'maxpool' },
    { shape: out, hint: 'maxpool_at', type: 'int64' },
  ]) as [string, string];
  ctx.tape.record({ op: 'MaxPool', inputs: [x], outputs: [y], backward: (g, [dY]) => [maxPoolBackward(g, x, indices, dY!)] });
  return y;
}

/** Windows that tile the image (stride equal to the window, no padding), small enough for exact priorities. */
function tiles(g: WindowGeometry): boolean {
  const [kh, kw] = g.kernel;
  return !isPadded(g) && g.strides[0] === kh && g.strides[1] === kw && kh * kw <= 64;
}

/**
 * The gradient of windows that tile the image. Each input equal to its window's maximum gets a
 * priority, 2^(k·k − 1 − position) with positions row-major in the window; max-pooling the
 * priorities picks the first maximum, which alone takes dY, as onnxruntime's indices, tfjs and
 * PyTorch do when values tie (ties are common: the zeros of a ReLU). Only same-shaped element-wise
 * ops, fast MaxPool and nearest-neighbour Resize are used: strided slices, 6-D broadcasting and
 * MaxPool's Indices are each several times slower in onnxruntime.
 */
function tiledMaxPoolBackward(b: GraphBuilder, x: string, y: string, dY: string, g: WindowGeometry): string {
  const shape = b.shapeOf(x);
  const [[ho, wo], [kh, kw]] = [g.output, g.kernel];
  const covered: Dim[] = [shape[0]!, shape[1]!, ho * kh, wo * kw];
  // Rows and columns past the last window get no gradient: crop them now, pad them back at the end.
  const whole = covered[2] === g.input[0] && covered[3] === g.input[1];
  const cropped = whole
    ? x
    : b.op('Slice', [x, b.int64s([0, 0]), b.int64s([ho * kh, wo * kw]), b.int64s([2, 3])], {}, covered, 'pool_crop');
  const scales = b.initializer('pool_scales', Float32Array.of(1, 1, kh, kw), [4]);
  const repeat = (v: string): string =>
    b.op(
      'Resize',
      [v, '', scales],
      { mode: string('nearest'), coordinate_transformation_mode: string('asymmetric'), nearest_mode: string('floor') },
      covered,
      'pool_repeat',
    );
  const asFloat = (mask: string): string => b.op('Cast', [mask], { to: int(1) }, covered, 'pool_mask');
  const isMax = b.op('Equal', [cropped, repeat(y)], {}, covered, 'pool_is_max');
  const score = b.binary('Mul', asFloat(isMax), priorities(b, g));
  const best = b.op(
    'MaxPool',
    [score],
    { kernel_shape: ints(g.kernel), strides: ints(g.strides) },
    [shape[0]!, shape[1]!, ho, wo],
    'pool_best',
  );
  const first = b.op('Equal', [score, repeat(best)], {}, covered, 'pool_first');
  const dX = b.binary('Mul', repeat(dY), asFloat(first));
  if (whole) return dX;
  return b.op('Pad', [dX, b.int64s([0, 0, 0, 0, 0, 0, g.input[0] - ho * kh, g.input[1] - wo * kw])], {}, shape, 'dmaxpool_pad');
}

/** `[Ho·kh, Wo·kw]` priorities: within each window, 2^(k·k − 1 − row-major position). */
function priorities(b: GraphBuilder, g: WindowGeometry): string {
  const [[ho, wo], [kh, kw]] = [g.output, g.kernel];
  const [height, width] = [ho * kh, wo * kw];
  const data = new Float32Array(height * width);
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) data[r * width + c] = 2 ** (kh * kw - 1 - ((r % kh) * kw + (c % kw)));
  return b.initializer('pool_priority', data, [height, width]);
}

function maxPoolBackward(b: GraphBuilder, x: string, indices: string, dY: string): string {
  const flatX = reshapeTo(b, x, ['N']);
  const zeros = b.op('ConstantOfShape', [b.op('Shape', [flatX], {}, [1], 'numel', 'int64')], {}, ['N'], 'zeros');
  const scattered = b.op(
    'ScatterElements',
    [zeros, reshapeTo(b, indices, ['N']), reshapeTo(b, dY, ['N'])],
    { axis: int(0), reduction: { kind: 'string', value: 'add' } },
    ['N'],
    'dmaxpool_flat',
  );
  return reshapeTo(b, scattered, b.shapeOf(x));
}

/**
 * Average pooling of an NCHW input; padding is left out of the average (Keras's `same`) unless
 * `countIncludePad` (PyTorch's AvgPool2d default) counts it. The
 * gradient spreads each output's gradient, divided by its window's count, with a depthwise
 * ConvTranspose of ones.
 */
export function avgPool(ctx: EmitContext, x: string, geometry: WindowGeometry, countIncludePad = false): string {
  const { b } = ctx;
  const shape = b.shapeOf(x);
  const out: Dim[] = [shape[0]!, shape[1]!, ...geometry.output];
  const attributes = {
    kernel_shape: ints(geometry.kernel),
    strides: ints(geometry.strides),
    pads: ints(geometry.pads),
    count_include_pad: int(countIncludePad ? 1 : 0),
  };
  const y = b.op('AveragePool', [x], attributes, out, 'avgpool');
  ctx.tape?.record({
    op: 'AveragePool',
    inputs: [x],
    outputs: [y],
    backward: (g, [dY]) => [avgPoolBackward(g, dY!, geometry, shape, countIncludePad)],
  });
  return y;
}

function avgPoolBackward(b: GraphBuilder, dY: string, geometry: WindowGeometry, xShape: Dim[], countIncludePad: boolean): string {
  const channels = xShape[1] as number;
  const [kh, kw] = geometry.kernel;
  const ones = b.initializer('pool_ones', new Float32Array(channels * kh * kw).fill(1), [channels, 1, kh, kw]);
  const counts = countIncludePad ? b.scalar(1 / (kh * kw)) : inverseCounts(b, geometry);
  const scaled = b.binary('Mul', dY, counts);
  const { pads, outputPadding } = transposeAttributes(geometry);
  const attributes = {
    kernel_shape: ints(geometry.kernel),
    strides: ints(geometry.strides),
    pads: ints(pads),
    output_padding: ints(outputPadding),
    group: int(channels),
  };
  return b.op('ConvTranspose', [scaled, ones], attributes, xShape, 'davgpool');
}

/** 1/(cells of each window inside the image): a scalar without padding, else `[Ho, Wo]`. */
function inverseCounts(b: GraphBuilder, g: WindowGeometry): string {
  if (!isPadded(g)) return b.scalar(1 / (g.kernel[0] * g.kernel[1]));
  const [ho, wo] = g.output;
  const data = new Float32Array(ho * wo);
  const inside = (o: number, i: 0 | 1): number => {
    const start = o * g.strides[i] - g.pads[i];
    return Math.min(start + g.kernel[i], g.input[i]) - Math.max(start, 0);
  };
  for (let r = 0; r < ho; r++) for (let c = 0; c < wo; c++) data[r * wo + c] = 1 / (inside(r, 0) * inside(c, 1));
  return b.initializer('pool_counts', data, [ho, wo]);
}

/** Mean over height and width of an NCHW input, giving `[N, C]`. */
export function globalAvgPool(ctx: EmitContext, x: string): string {
  const { b } = ctx;
  const shape = b.shapeOf(x);
  const [h, w] = [shape[2] as number, shape[3] as number];
  const y = b.op('ReduceMean', [x], { axes: ints([2, 3]), keepdims: int(0) }, [shape[0]!, shape[1]!], 'gap');
  ctx.tape?.record({
    op: 'GlobalAveragePool',
    inputs: [x],
    outputs: [y],
    backward: (g, [dY]) => {
      const spread = g.binary(
        'Mul',
        g.op('Unsqueeze', [dY!, g.int64s([2, 3])], {}, [shape[0]!, shape[1]!, 1, 1], 'dgap'),
        g.scalar(1 / (h * w)),
      );
      return [g.op('Expand', [spread, g.op('Shape', [x], {}, [4], 'x_shape', 'int64')], {}, shape, 'dgap_expand')];
    },
  });
  return y;
}
