import { HeadstartError, outputShape, parameterShapes, sizeOf, type LossKind, type ModelSpec, type NamedTensors } from '@headstart/core';
import { int } from '../onnx/attributes.js';
import { emitForward, type ForwardOutput } from './forward.js';
import { GraphBuilder } from './graph-builder.js';
import { shapesIn } from './kernel-layout.js';
import type { LayerContext } from './layers/layer-context.js';
import { emitLossSum, targetWidth } from './losses.js';
import { declareModelInputs } from './model-inputs.js';
import type { ModelProto } from '../onnx/onnx-proto.js';
import { parameterResolver } from './parameter-inputs.js';
import { VERSION } from '../version.js';

/** Names of the inference graphs' own inputs and outputs (parameters are inputs named after themselves). */
export const IO = { x: 'x', target: 'target', teacher: 'teacher', output: 'output', lossSum: 'lossSum' } as const;

/**
 * The forward graph: `x` `[N, ...inputShape]` → `output` `[N, ...outputShape]` (probabilities when the
 * model ends in softmax). Parameters are graph inputs (conv2d kernels in ONNX layout, as the runtime
 * keeps them) unless `baked` gives their values (canonical layout, transposed in the graph).
 */
export function buildPredictGraph(spec: ModelSpec, baked?: NamedTensors): ModelProto {
  const b = new GraphBuilder('predict');
  // Baked weights are an export: its named inputs keep the spec's names (`input_ids`), as other tools feed them.
  const inputs = declareModelInputs(b, spec, baked ? (name) => name : undefined);
  b.output(emitPrediction(b, spec, inputs, baked), IO.output);
  return b.toModel(VERSION);
}

/**
 * The layers of `spec` on `x` (`[N, ...inputShape]`, channels-last) in inference mode, ending in the
 * model's output (a final softmax applied). Parameters as in {@link buildPredictGraph}.
 */
export function emitPrediction(b: GraphBuilder, spec: ModelSpec, x: string | ReadonlyMap<string, string>, baked?: NamedTensors): string {
  return withSoftmax(b, inferenceForward(b, spec, x, baked));
}

/**
 * The evaluation graph: `x` and `target` `[N, D]` → `lossSum` (summed per-sample loss, no
 * regularisers) and `output` `[N, D]`, in inference mode.
 */
export function buildEvalGraph(spec: ModelSpec, loss: LossKind): ModelProto {
  const b = new GraphBuilder('evaluate');
  const forward = inferenceForward(b, spec, declareModelInputs(b, spec));
  const target = b.input(IO.target, ['N', targetWidth(loss, outputShape(spec))]);
  if (loss !== 'mse' && !forward.endsInSoftmax) throw needsSoftmax(loss);
  b.output(emitLossSum(b, loss, forward.output, target), IO.lossSum);
  const output = withSoftmax(b, forward);
  b.output(b.op('Flatten', [output], { axis: int(1) }, ['N', sizeOf(outputShape(spec))], 'output_flat'), IO.output);
  return b.toModel(VERSION);
}

/** The error for cross-entropy on a model without a final softmax. */
export function needsSoftmax(loss: LossKind = 'softmaxCrossEntropy'): HeadstartError {
  return new HeadstartError('BAD_INPUT', `loss ${loss} needs a model ending in a softmax activation; add one to the last layer or use mse`);
}

function inferenceForward(b: GraphBuilder, spec: ModelSpec, x: string | ReadonlyMap<string, string>, baked?: NamedTensors): ForwardOutput {
  const kernelLayout = baked ? 'canonical' : 'onnx';
  const ctx: LayerContext = {
    b,
    param: parameterResolver(b, shapesIn(spec, parameterShapes(spec), kernelLayout), baked),
    kernelLayout,
    training: false,
    frozenBatchNorm: new Set(),
    dropoutMask: () => undefined,
    onStatistics: () => undefined,
  };
  const forward = emitForward(ctx, spec, x);
  // Every parameter is fed every run, so every parameter must be an input even if no node reads it.
  for (const p of parameterShapes(spec)) ctx.param(p.name);
  return forward;
}

function withSoftmax(b: GraphBuilder, forward: ForwardOutput): string {
  return forward.endsInSoftmax ? b.unary('Softmax', forward.output, { axis: int(-1) }) : forward.output;
}
