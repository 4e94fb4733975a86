import {
  HeadstartError,
  inferShapes,
  outputShape,
  sizeOf,
  type LossKind,
  type LossOptions,
  type ModelSpec,
  type NamedTensors,
  type OptimizerConfig,
  type ParameterShape,
} from '@headstart/core';
import { int } from '../onnx/attributes.js';
import { emitForward } from './forward.js';
import { GraphBuilder } from './graph-builder.js';
import { IO, needsSoftmax } from './inference-graph.js';
import type { BatchStatistics, LayerContext } from './layers/layer-context.js';
import { emitLoss, targetWidth } from './losses.js';
import { declareModelInputs } from './model-inputs.js';
import type { ModelProto } from '../onnx/onnx-proto.js';
import { OptimizerEmitter, optimizerSlots } from './optimizer-update.js';
import { parameterResolver } from './parameter-inputs.js';
import { Tape } from './tape.js';
import { flatLayouts, type FlatLayout } from './flat-layout.js';
import { isConvKernel, kernelToOnnx, shapesIn } from './kernel-layout.js';
import { reshapeTo } from './ops/reduce-to-shape.js';
import type { TrainingPlan } from '@headstart/core/backend-kit';
import { VERSION } from '../version.js';

/** What a train-step graph is built from. */
export interface TrainGraphOptions {
  spec: ModelSpec;
  /** Every parameter, canonical shapes (the graph takes conv2d kernels in ONNX layout, see KernelLayout). */
  params: readonly ParameterShape[];
  plan: TrainingPlan;
  optimizer: OptimizerConfig;
  loss: LossKind;
  /** Cross-entropy's options: class weights (for `correct`) and distillation (a `teacher` input). */
  lossOptions?: LossOptions | undefined;
  l2sp?: { weight: number; reference: NamedTensors } | undefined;
  /**
   * Leave Adam's update to the caller (AdamKernel): the graph outputs each flat gradient and Adam's
   * scalars instead of the updated buffers. Only for `adam` and `adamw`.
   */
  updateOutside?: boolean | undefined;
}

/** A dropout mask the caller feeds each step. */
export interface MaskInput {
  layer: string;
  input: string;
  /** Shape of one sample's mask (the layer's channels-last input shape). */
  sampleShape: number[];
  rate: number;
  /** Index of the layer in the spec (part of the mask's seed). */
  index: number;
}

/** The flat inputs and outputs of a learning-rate group (or of one part of a large group): parameters, then each optimizer slot. */
export interface GroupIO {
  layout: FlatLayout;
  /** The group's learning rate (schedule applied), a scalar input shared by the group's parts. */
  lr: string;
  /** Flat inputs and the outputs replacing them, by buffer (`params` or a slot name); with the update outside, the parameters' input alone. */
  buffers: { buffer: string; input: string; output: string }[];
  /** With the update outside: the output holding the flat gradient (L2-SP included). */
  gradient?: string | undefined;
}

/** With the update outside: the outputs holding Adam's scalars of this step. */
export interface AdamScalarOutputs {
  /** `lr·√(1−β₂ᵗ)/(1−β₁ᵗ)` by group index. */
  stepSizes: Map<number, string>;
  /** `ε·√(1−β₂ᵗ)` */
  epsilon: string;
}

/** A train-step graph and how to drive it. */
export interface TrainGraph {
  model: ModelProto;
  groups: GroupIO[];
  masks: MaskInput[];
  /** Outputs that replace a batch-norm statistic for the next step. */
  statistics: { output: string; name: string }[];
  /** Whether the graph outputs `correct`. */
  counts: boolean;
  /** Whether the graph takes the batch's teacher logits (`teacher`, `[N, classes]`): the loss distils. */
  distils: boolean;
  /** With the update outside (TrainGraphOptions.updateOutside). */
  adam?: AdamScalarOutputs | undefined;
}

/** Names of the train graph's fixed inputs and outputs. */
export const TRAIN_IO = { step: 'optim.step', loss: 'loss', correct: 'correct' } as const;

/** The flat buffer of a group's parameters is called this; slots use their own names. */
export const PARAMS_BUFFER = 'params';

/**
 * Build the train-step graph: forward (training mode), loss, reverse-mode gradients of the trained
 * parameters only, L2-SP, the optimizer update per group and the batch-norm moving averages.
 * Inputs: `x`, `target` (and `teacher` when the loss distils), every parameter by name (read by the forward pass; conv2d kernels in ONNX
 * layout, and so are their gradients and their places in the flat buffers), per group
 * `group.<g>.params` and `group.<g>.<slot>` (the same trained values, flat) and `lr.<g>`, and
 * `optim.step` (the 1-based number of this step). Outputs: `loss`, `correct`, `updated.group.<g>.*`
 * and `updated.<layer>.moving*`.
 */
export function buildTrainGraph(options: TrainGraphOptions): TrainGraph {
  const { spec, plan } = options;
  const b = new GraphBuilder('train_step');
  const tape = new Tape();
  const trainedNames = new Set(plan.trained.map((p) => p.name));
  const params = shapesIn(spec, options.params, 'onnx');
  const stored = new Map(params.map((p) => [p.name, p.shape]));
  const x = declareModelInputs(b, spec);
  const target = b.input(IO.target, ['N', targetWidth(options.loss, outputShape(spec))]);
  const distils = options.lossOptions?.distillation !== undefined;
  const teacher = distils ? b.input(IO.teacher, ['N', sizeOf(outputShape(spec))]) : undefined;
  const masks = maskInputs(spec);
  const statistics: BatchStatistics[] = [];
  const ctx: LayerContext = {
    b,
    tape,
    param: parameterResolver(b, params, undefined, (name, value) => trainedNames.has(name) && tape.watch(value)),
    kernelLayout: 'onnx',
    training: true,
    frozenBatchNorm: plan.frozenBatchNorm,
    dropoutMask: (layer) => masks.find((m) => m.layer === layer)?.input,
    onStatistics: (s) => statistics.push(s),
  };
  for (const mask of masks) b.input(mask.input, ['N', ...mask.sampleShape]);
  const forward = emitForward(ctx, spec, x);
  if (options.loss !== 'mse' && !forward.endsInSoftmax) throw needsSoftmax(options.loss);
  const loss = emitLoss(b, options.loss, forward.output, target, { lossOptions: options.lossOptions, teacher });
  const values = plan.trained.map((p) => ctx.param(p.name));
  const grads = tape.gradients(b, new Map([[forward.output, loss.dOutput]]), values);
  const gradientOf = new Map(
    plan.trained.map((p, i) => [
      p.name,
      grads.get(values[i]!) ?? b.initializer(`zero_grad_${p.name}`, new Float32Array(sizeOf(p.shape)), stored.get(p.name)!),
    ]),
  );
  const step = b.input(TRAIN_IO.step, []);
  const emitter = new OptimizerEmitter(b, options.optimizer, step);
  const penalties: string[] = [];
  const lrs = new Map<number, string>();
  const lrOf = (group: number): string => lrs.get(group) ?? lrs.set(group, b.input(`lr.${group}`, [])).get(group)!;
  const groups = groupLayouts(plan, stored).map((layout) => emitGroup(b, options, emitter, { layout, lrOf }, gradientOf, penalties));
  const adam = options.updateOutside ? adamScalarOutputs(b, options.optimizer, emitter, lrs) : undefined;
  const penalty = penalties.length > 0 ? penalties.reduce((sum, p) => b.binary('Add', sum, p)) : undefined;
  b.output(penalty ? b.binary('Add', loss.mean, penalty) : loss.mean, TRAIN_IO.loss);
  if (loss.correct) b.output(loss.correct, TRAIN_IO.correct);
  const moving = emitMovingStatistics(b, ctx, plan, statistics);
  // Every parameter is fed every step, so every parameter must be an input even if no node reads it.
  for (const p of params) ctx.param(p.name);
  return { model: b.toModel(VERSION), groups, masks, statistics: moving, counts: loss.correct !== undefined, distils, adam };
}

/** Adam's scalars of each learning-rate group, as outputs (`adam.step_size.<g>`, `adam.epsilon`). */
function adamScalarOutputs(
  b: GraphBuilder,
  optimizer: OptimizerConfig,
  emitter: OptimizerEmitter,
  lrs: ReadonlyMap<number, string>,
): AdamScalarOutputs {
  if (optimizer.type === 'sgd') throw new Error('updateOutside: only adam and adamw');
  const stepSizes = new Map<number, string>();
  let epsilon: string | undefined;
  for (const [group, lr] of lrs) {
    const scalars = emitter.adamScalars(lr);
    stepSizes.set(group, b.output(scalars.stepSize, `adam.step_size.${group}`));
    epsilon ??= b.output(scalars.scaledEpsilon, 'adam.epsilon');
  }
  return { stepSizes, epsilon: epsilon! };
}

/** Trained parameters by group (a large group in parts), in layer order within each group, shaped as the graph takes them (`stored`). */
function groupLayouts(plan: TrainingPlan, stored: ReadonlyMap<string, number[]>): FlatLayout[] {
  const groups = [...new Set(plan.trained.map((p) => p.group))];
  return groups.flatMap((g) =>
    flatLayouts(
      g,
      plan.trained.filter((p) => p.group === g).map((p) => ({ name: p.name, shape: stored.get(p.name)! })),
    ),
  );
}

function maskInputs(spec: ModelSpec): MaskInput[] {
  return inferShapes(spec).flatMap(({ layer, inputShape, index }) =>
    layer.type === 'dropout' && layer.rate > 0
      ? [{ layer: layer.name, input: `mask.${layer.name}`, sampleShape: inputShape, rate: layer.rate, index }]
      : [],
  );
}

/**
 * One group's (or part's) update: its gradients concatenated in layout order, L2-SP (`weight/2·Σ‖w − w₀‖²` in the
 * loss, `weight·(w − w₀)` in the gradient), then the optimizer on the flat buffers.
 */
function emitGroup(
  b: GraphBuilder,
  options: TrainGraphOptions,
  emitter: OptimizerEmitter,
  { layout, lrOf }: { layout: FlatLayout; lrOf: (group: number) => string },
  gradientOf: Map<string, string>,
  penalties: string[],
): GroupIO {
  const prefix = `group.${layout.id}`;
  const params = b.input(`${prefix}.${PARAMS_BUFFER}`, [layout.size]);
  const flatGrads = layout.entries.map((e) => reshapeTo(b, gradientOf.get(e.name)!, [e.size]));
  let grad = flatGrads.length === 1 ? flatGrads[0]! : b.op('Concat', flatGrads, { axis: int(0) }, [layout.size], 'grad_flat');
  const l2sp = l2spTerm(b, options, layout, params);
  if (l2sp) {
    grad = b.binary('Add', grad, l2sp.grad);
    penalties.push(l2sp.loss);
  }
  if (options.updateOutside) {
    return {
      layout,
      lr: lrOf(layout.group),
      buffers: [{ buffer: PARAMS_BUFFER, input: params, output: '' }],
      gradient: b.output(grad, `gradient.${prefix}`),
    };
  }
  const slotNames = optimizerSlots(options.optimizer);
  const slots = new Map(slotNames.map((slot) => [slot, b.input(`${prefix}.${slot}`, [layout.size])]));
  const lr = lrOf(layout.group);
  const weightDecay = options.plan.trained.find((p) => p.group === layout.group)!.weightDecay;
  const updated = emitter.update({ param: params, grad, lr, weightDecay, slots });
  const buffers = [{ buffer: PARAMS_BUFFER, input: params, output: b.output(updated.param, `updated.${prefix}.${PARAMS_BUFFER}`) }];
  for (const slot of slotNames)
    buffers.push({ buffer: slot, input: slots.get(slot)!, output: b.output(updated.slots.get(slot)!, `updated.${prefix}.${slot}`) });
  return { layout, lr, buffers };
}

/** L2-SP over a group's parameters that have a reference value (a 0/1 mask skips the others). */
function l2spTerm(
  b: GraphBuilder,
  options: TrainGraphOptions,
  layout: FlatLayout,
  params: string,
): { loss: string; grad: string } | undefined {
  const l2sp = options.l2sp;
  if (!l2sp || l2sp.weight === 0) return undefined;
  if (!(l2sp.weight > 0)) throw new HeadstartError('BAD_INPUT', `l2sp weight must be ≥ 0, got ${l2sp.weight}`);
  const reference = new Float32Array(layout.size);
  const mask = new Float32Array(layout.size);
  const canonical = new Map(options.params.map((p) => [p.name, p]));
  for (const e of layout.entries) {
    const value = l2sp.reference.get(e.name);
    if (!value) continue;
    const p = canonical.get(e.name)!;
    if (value.data.length !== e.size)
      throw new HeadstartError('BAD_INPUT', `l2sp reference "${e.name}": shape [${value.shape}] does not match the model's [${p.shape}]`);
    reference.set(isConvKernel(options.spec, p) ? kernelToOnnx(value.data, p.shape) : value.data, e.offset);
    mask.fill(1, e.offset, e.offset + e.size);
  }
  if (!mask.includes(1)) return undefined;
  let diff = b.binary('Sub', params, b.initializer(`l2sp_ref_${layout.id}`, reference, [layout.size]));
  if (mask.includes(0)) diff = b.binary('Mul', diff, b.initializer(`l2sp_mask_${layout.id}`, mask, [layout.size]));
  const squares = b.op('ReduceSum', [b.binary('Mul', diff, diff)], { keepdims: int(0) }, [], 'l2sp_sq');
  return { loss: b.binary('Mul', squares, b.scalar(l2sp.weight / 2)), grad: b.binary('Mul', diff, b.scalar(l2sp.weight)) };
}

/** Keras's moving averages: `moving·momentum + batch·(1 − momentum)`, for layers that update them. */
function emitMovingStatistics(
  b: GraphBuilder,
  ctx: LayerContext,
  plan: TrainingPlan,
  statistics: BatchStatistics[],
): TrainGraph['statistics'] {
  return statistics.flatMap(({ layer, mean, variance }) => {
    const momentum = plan.updatedBatchNorm.get(layer);
    if (momentum === undefined) return [];
    return (
      [
        ['movingMean', mean],
        ['movingVariance', variance],
      ] as const
    ).map(([stat, batch]) => {
      const name = `${layer}.${stat}`;
      const moving = b.binary('Add', b.binary('Mul', ctx.param(name), b.scalar(momentum)), b.binary('Mul', batch, b.scalar(1 - momentum)));
      return { output: b.output(moving, `updated.${name}`), name };
    });
  });
}
