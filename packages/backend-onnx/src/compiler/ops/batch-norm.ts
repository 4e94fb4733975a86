import { float, int, ints } from '../../onnx/attributes.js';
import type { Dim, GraphBuilder } from '../graph-builder.js';
import type { EmitContext } from '../tape.js';
import { reshapeTo } from './reduce-to-shape.js';
import { inverseBatchSize } from '../losses.js';

/** The per-channel values of a batch-norm layer as graph values (each `[C]`). */
export interface BatchNormParams {
  gamma: string;
  beta: string;
  movingMean: string;
  movingVariance: string;
  epsilon: number;
}

/** Axes a batch-norm reduces over: all but the channel axis 1 (`[N, C]` or NCHW). */
function statisticAxes(shape: readonly Dim[]): number[] {
  return shape.length === 4 ? [0, 2, 3] : [0];
}

/** A `[C]` value shaped to broadcast against `x` on its channel axis. */
function perChannel(b: GraphBuilder, v: string, xShape: readonly Dim[]): string {
  return xShape.length === 4 ? reshapeTo(b, v, [xShape[1]!, 1, 1]) : v;
}

/**
 * Inference-mode batch norm on the moving statistics. Without gradients it is ONNX's fused
 * BatchNormalization; when gamma, beta or the input need a gradient it is spelled out as
 * `x̂·gamma + beta` with `x̂ = (x − mean)/√(variance + ε)`, whose statistics are constants.
 */
export function batchNormInference(ctx: EmitContext, x: string, p: BatchNormParams): string {
  const { b } = ctx;
  const shape = b.shapeOf(x);
  const inputs = [x, p.gamma, p.beta];
  if (!ctx.tape || !inputs.some((v) => ctx.tape!.needsGradient(v))) {
    return b.op('BatchNormalization', [x, p.gamma, p.beta, p.movingMean, p.movingVariance], { epsilon: float(p.epsilon) }, shape, 'bn');
  }
  const invStd = b.unary('Reciprocal', b.unary('Sqrt', b.binary('Add', p.movingVariance, b.scalar(p.epsilon))));
  const xHat = b.binary('Mul', b.binary('Sub', x, perChannel(b, p.movingMean, shape)), perChannel(b, invStd, shape));
  return affine(ctx, x, xHat, p, (g, dXHat) => g.binary('Mul', dXHat, perChannel(g, invStd, shape)));
}

/**
 * Training-mode batch norm on the batch's statistics (biased variance, as Keras and tfjs use). The
 * statistics are returned (`[C]`) for the moving averages. Written so that the full-size tensors are
 * passed over as few times as onnxruntime's kernels allow (2 element-wise passes forward, 4 backward,
 * plus the reductions; the textbook form took 5 and 11): the variance is a `ReduceSumSquare` of the
 * centred input, and `y = (x − mean)·gamma/σ + beta` is onnxruntime's inference `BatchNormalization`
 * fed the batch's statistics (one fused pass). With `M` values per channel and `s = gamma/σ`:
 * `dgamma = Σ dY·centred / σ`, `dbeta = Σ dY`, `dx = s·dY − centred·(s·dgamma/(σ·M)) − s·dbeta/M`
 * (the same value as `(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂))/σ`, rounded differently), whose per-channel
 * affine part `s·dY − s·dbeta/M` is again one `BatchNormalization` pass.
 */
export function batchNormTraining(ctx: EmitContext, x: string, p: BatchNormParams): { y: string; mean: string; variance: string } {
  const { b } = ctx;
  const shape = b.shapeOf(x);
  const axes = statisticAxes(shape);
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const channels = [shape[1]!];
  const mean = b.op('ReduceMean', [x], { axes: ints(axes), keepdims: int(1) }, kept, 'bn_mean');
  const flatMean = reshapeTo(b, mean, channels);
  const centred = channelScale(b, x, undefined, flatMean, 'bn_centred');
  const sumOfSquares = b.op('ReduceSumSquare', [centred], { axes: ints(axes), keepdims: int(1) }, kept, 'bn_ssq');
  const invM = inverseCount(b, x);
  const variance = b.binary('Mul', sumOfSquares, invM);
  const flatVariance = reshapeTo(b, variance, channels);
  const y = channelAffine(b, x, p.gamma, p.beta, flatMean, flatVariance, p.epsilon, 'bn');
  const invStd = b.unary('Reciprocal', b.unary('Sqrt', b.binary('Add', variance, b.scalar(p.epsilon))));
  ctx.tape?.record({
    op: 'BatchNormalization',
    inputs: [x, p.gamma, p.beta],
    outputs: [y],
    backward: (g, [dY], needs) => {
      const channelSum = (v: string): string => g.op('ReduceSum', [v, g.int64s(axes)], { keepdims: int(1) }, kept, 'dbn_sum');
      const dBeta = channelSum(dY!);
      const dCentred = channelSum(g.binary('Mul', dY!, centred));
      const scale = g.binary('Mul', invStd, perChannel(g, p.gamma, shape));
      return [
        needs[0] ? inputGradient(g, x, dY!, { centred, invStd, invM, scale, dBeta, dCentred }) : undefined,
        needs[1] ? reshapeTo(g, g.binary('Mul', dCentred, invStd), channels) : undefined,
        needs[2] ? reshapeTo(g, dBeta, channels) : undefined,
      ];
    },
  });
  return { y, mean: flatMean, variance: flatVariance };
}

/** `1/M`, the reciprocal of the values per channel (`N·H·W`), with the batch size read at run time. */
function inverseCount(b: GraphBuilder, x: string): string {
  const spatial = b
    .shapeOf(x)
    .slice(2)
    .reduce<number>((n, d) => n * (d as number), 1);
  return b.binary('Mul', inverseBatchSize(b, x), b.scalar(1 / spatial));
}

/**
 * `(v − mean)·scale/√(variance + ε) + bias` per channel (each `[C]`) in one pass over `v`: onnxruntime's
 * inference `BatchNormalization`, which folds the four into one multiply and one add per element (its
 * broadcasting `Sub` and `Mul` walk a `[1, C, 1, 1]` operand far more slowly).
 */
function channelAffine(
  b: GraphBuilder,
  v: string,
  scale: string,
  bias: string,
  mean: string,
  variance: string,
  epsilon: number,
  hint: string,
): string {
  return b.op('BatchNormalization', [v, scale, bias, mean, variance], { epsilon: float(epsilon) }, b.shapeOf(v), hint);
}

/**
 * `v·scale − shift` per channel (`[C]` each; no scale: 1, no shift: 0). On feature maps it is one
 * {@link channelAffine}: with variance 1 and ε 0 it multiplies by the scale exactly, and without a
 * scale the shift is the mean, so `v − shift` rounds as a `Sub` does. Without spatial extent (`[N, C]`,
 * 1×1 maps) broadcasting `Mul`/`Sub` are ≈ 3× faster than onnxruntime's per-(sample, channel) loop.
 */
function channelScale(b: GraphBuilder, v: string, scale: string | undefined, shift: string | undefined, hint: string): string {
  const shape = b.shapeOf(v);
  const c = shape[1] as number;
  if (shape.slice(2).every((d) => d === 1)) {
    const scaled = scale === undefined ? v : b.binary('Mul', v, perChannel(b, scale, shape));
    return shift === undefined ? scaled : b.binary('Sub', scaled, perChannel(b, shift, shape));
  }
  const [ones, zeros] = [b.filled(1, c), b.filled(0, c)];
  if (scale === undefined) return channelAffine(b, v, ones, zeros, shift ?? zeros, ones, 0, hint);
  return channelAffine(b, v, scale, shift === undefined ? zeros : b.unary('Neg', shift), zeros, ones, 0, hint);
}

/** Training-mode batch norm's `dx` from its per-channel sums (see {@link batchNormTraining}). */
function inputGradient(
  g: GraphBuilder,
  x: string,
  dY: string,
  v: { centred: string; invStd: string; invM: string; scale: string; dBeta: string; dCentred: string },
): string {
  const shape = g.shapeOf(x);
  const channels = [shape[1]!];
  const flat = (t: string): string => reshapeTo(g, t, channels);
  const shift = g.binary('Mul', g.binary('Mul', v.scale, v.dBeta), v.invM);
  const slope = g.binary('Mul', g.binary('Mul', v.scale, g.binary('Mul', v.invStd, v.invStd)), g.binary('Mul', v.dCentred, v.invM));
  const scaled = channelScale(g, dY, flat(v.scale), flat(shift), 'dbn_dy');
  return g.binary('Sub', scaled, channelScale(g, v.centred, flat(slope), undefined, 'dbn_centred'));
}

/** `y = x̂·gamma + beta`, recorded as one op of `x`, gamma and beta; `dx` comes from `inputGradient(dx̂)`. */
function affine(
  ctx: EmitContext,
  x: string,
  xHat: string,
  p: BatchNormParams,
  inputGradient: (g: GraphBuilder, dXHat: string) => string,
): string {
  const { b } = ctx;
  const shape = b.shapeOf(x);
  const y = b.binary('Add', b.binary('Mul', xHat, perChannel(b, p.gamma, shape)), perChannel(b, p.beta, shape));
  const channelSum = (g: GraphBuilder, v: string): string =>
    g.op('ReduceSum', [v, g.int64s(statisticAxes(shape))], { keepdims: int(0) }, [shape[1]!], 'dbn_sum');
  ctx.tape?.record({
    op: 'BatchNormalization',
    inputs: [x, p.gamma, p.beta],
    outputs: [y],
    backward: (g, [dY], needs) => [
      needs[0] ? inputGradient(g, g.binary('Mul', dY!, perChannel(g, p.gamma, shape))) : undefined,
      needs[1] ? channelSum(g, g.binary('Mul', dY!, xHat)) : undefined,
      needs[2] ? channelSum(g, dY!) : undefined,
    ],
  });
  return y;
}
