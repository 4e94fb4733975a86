import { inferShapes, outputShape, parameterShapes, sizeOf, type LossKind, type ModelSpec } from '@headstart/core';
import type { Tensor } from 'onnxruntime-node';
import { emitForward } from '../compiler/forward.js';
import { GraphBuilder } from '../compiler/graph-builder.js';
import type { LayerContext } from '../compiler/layers/layer-context.js';
import { emitLoss } from '../compiler/losses.js';
import { declareModelInputs, namedInput } from '../compiler/model-inputs.js';
import { encodeModel } from '../onnx/onnx-proto.js';
import { parameterResolver } from '../compiler/parameter-inputs.js';
import { requireRuntime } from '../runtime/runtime.js';
import { Tape } from '../compiler/tape.js';

/** What a gradient graph computed, as float64 arrays for comparison. */
export interface GraphGradients {
  loss: number;
  logits: Float64Array;
  grads: Map<string, Float64Array>;
}

/** Inputs of a gradient-graph run. */
export interface GradientRun {
  spec: ModelSpec;
  loss: LossKind;
  weights: Map<string, Float64Array>;
  x: Float64Array;
  /** For a spec with named inputs: each input's `n × size` values by name (`x` is then unused). */
  named?: ReadonlyMap<string, ArrayLike<number>> | undefined;
  target: Float64Array;
  n: number;
  /** Parameters to differentiate; `x` for the input. */
  wrt: string[];
  training?: boolean | undefined;
  frozenBatchNorm?: Set<string> | undefined;
  masks?: Map<string, Float64Array> | undefined;
}

/**
 * Build the same forward, loss and backward the train graph uses, but output the raw gradients
 * (`grad.<name>`) instead of updating anything, then run it on onnxruntime.
 */
export async function graphGradients(run: GradientRun): Promise<GraphGradients> {
  const ort = await requireRuntime();
  const b = new GraphBuilder('gradients');
  const tape = new Tape();
  const watched = new Set(run.wrt);
  const inputs = declareModelInputs(b, run.spec);
  const x = typeof inputs === 'string' ? inputs : '';
  if (watched.has('x')) tape.watch(x);
  const target = b.input('target', ['N', sizeOf(outputShape(run.spec))]);
  const masks = run.masks ?? new Map<string, Float64Array>();
  const ctx: LayerContext = {
    b,
    tape,
    param: parameterResolver(b, parameterShapes(run.spec), undefined, (name, value) => watched.has(name) && tape.watch(value)),
    training: run.training ?? true,
    frozenBatchNorm: run.frozenBatchNorm ?? new Set(),
    dropoutMask: (layer) => (masks.has(layer) ? `mask.${layer}` : undefined),
    onStatistics: () => undefined,
  };
  const shapes = new Map(parameterShapes(run.spec).map((p) => [p.name, p.shape]));
  for (const layer of masks.keys()) b.input(`mask.${layer}`, ['N', ...maskShape(run.spec, layer)]);
  const forward = emitForward(ctx, run.spec, inputs);
  const loss = emitLoss(b, run.loss, forward.output, target);
  b.output(loss.mean, 'loss');
  b.output(forward.output, 'logits');
  const values = run.wrt.map((name) => (name === 'x' ? x : ctx.param(name)));
  const grads = tape.gradients(b, new Map([[forward.output, loss.dOutput]]), values);
  run.wrt.forEach((name, i) => b.output(grads.get(values[i]!)!, `grad.${name}`));
  for (const p of parameterShapes(run.spec)) ctx.param(p.name);
  const session = await ort.InferenceSession.create(encodeModel(b.toModel('test')));
  const f32 = (data: Float64Array, shape: number[]): Tensor => new ort.Tensor('float32', Float32Array.from(data), shape);
  const feeds: Record<string, Tensor> = { target: f32(run.target, [run.n, run.target.length / run.n]) };
  if (!run.spec.inputs) feeds.x = f32(run.x, [run.n, ...run.spec.inputShape]);
  for (const input of run.spec.inputs ?? []) {
    const values = run.named!.get(input.name)!;
    const shape = [run.n, ...input.shape];
    feeds[namedInput(input.name)] =
      input.dtype === 'int32' ? new ort.Tensor('int32', Int32Array.from(values), shape) : new ort.Tensor('float32', Float32Array.from(values), shape);
  }
  for (const [name, data] of run.weights) feeds[name] = f32(data, shapes.get(name)!);
  for (const [layer, data] of masks) feeds[`mask.${layer}`] = f32(data, [run.n, ...maskShape(run.spec, layer)]);
  const out = await session.run(feeds);
  const f64 = (name: string): Float64Array => Float64Array.from(out[name]!.data as Float32Array);
  await session.release();
  return { loss: f64('loss')[0]!, logits: f64('logits'), grads: new Map(run.wrt.map((name) => [name, f64(`grad.${name}`)])) };
}

function maskShape(spec: ModelSpec, layer: string): number[] {
  const node = inferShapes(spec).find((l) => l.layer.name === layer);
  if (!node) throw new Error(`no layer ${layer}`);
  return node.inputShape;
}
