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
 * statistics are returned (`[C]`) for the moving averages. Written with per-channel factors so that
 * the full-size tensors are passed over as few times as the arithmetic allows (4 element-wise passes
 * forward, 5 backward, plus the reductions; the textbook form took 5 and 11): `y = centred·s + beta`
 * with `s = gamma/σ`, and, with `M` values per channel, `dgamma = Σ dY·centred / σ`, `dbeta = Σ dY`,
 * `dx = s·dY − centred·(s·dgamma/(σ·M)) − s·dbeta/M` (the same value as `(dx̂ − mean(dx̂) −
 * x̂·mean(dx̂·x̂))/σ`, rounded differently).
 */
export function batchNormTraining(ctx: EmitContext, x: string, p: BatchNormParams): { y: string; mean: string; variance: string } {
  const { b } = ctx;
  const shape = b.shapeOf(x);
  const axes = statisticAxes(shape);
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const channels = [shape[1]!];
  const mean = b.op('ReduceMean', [x], { axes: ints(axes), keepdims: int(1) }, kept, 'bn_mean');
  const centred = b.binary('Sub', x, mean);
  const variance = b.op('ReduceMean', [b.binary('Mul', centred, centred)], { axes: ints(axes), keepdims: int(1) }, kept, 'bn_var');
  const invStd = b.unary('Reciprocal', b.unary('Sqrt', b.binary('Add', variance, b.scalar(p.epsilon))));
  const scale = b.binary('Mul', invStd, perChannel(b, p.gamma, shape));
  const y = b.binary('Add', b.binary('Mul', centred, scale), perChannel(b, p.beta, shape));
  ctx.tape?.record({
    op: 'BatchNormalization',
    inputs: [x, p.gamma, p.beta],
    outputs: [y],
    backward: (g, [dY], needs) => {
      const channelSum = (v: string): string => g.op('ReduceSum', [v, g.int64s(axes)], { keepdims: int(1) }, kept, 'dbn_sum');
      const dBeta = channelSum(dY!);
      const dCentred = channelSum(g.binary('Mul', dY!, centred));
      return [
        needs[0] ? inputGradient(g, x, dY!, { centred, invStd, scale, dBeta, dCentred }) : undefined,
        needs[1] ? reshapeTo(g, g.binary('Mul', dCentred, invStd), channels) : undefined,
        needs[2] ? reshapeTo(g, dBeta, channels) : undefined,
      ];
    },
  });
  return { y, mean: reshapeTo(b, mean, channels), variance: reshapeTo(b, variance, channels) };
}

/** Training-mode batch norm's `dx` from its per-channel sums (see {@link batchNormTraining}). */
function inputGradient(
  g: GraphBuilder,
  x: string,
  dY: string,
  v: { centred: string; invStd: string; scale: string; dBeta: string; dCentred: string },
): string {
  const shape = g.shapeOf(x);
  const spatial = shape.slice(2).reduce<number>((n, d) => n * (d as number), 1);
  const invM = g.binary('Mul', inverseBatchSize(g, x), g.scalar(1 / spatial));
  const shift = g.binary('Mul', g.binary('Mul', v.scale, v.dBeta), invM);
  const slope = g.binary('Mul', g.binary('Mul', v.scale, g.binary('Mul', v.invStd, v.invStd)), g.binary('Mul', v.dCentred, invM));
  return g.binary('Sub', g.binary('Sub', g.binary('Mul', dY, v.scale), g.binary('Mul', v.centred, slope)), shift);
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
