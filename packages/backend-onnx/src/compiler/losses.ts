import type { LossKind, LossOptions } from '@headstart/core';
import { int } from '../onnx/attributes.js';
import type { GraphBuilder } from './graph-builder.js';
import { reshapeTo } from './ops/reduce-to-shape.js';

/** The loss of a batch as graph values. */
export interface LossValues {
  /** Mean loss over the batch (scalar). */
  mean: string;
  /** Summed per-sample loss (scalar). */
  sum: string;
  /** Gradient of `mean` with respect to the model output (the logits for cross-entropy). */
  dOutput: string;
  /** Correctly classified samples (scalar float), for cross-entropy. */
  correct?: string | undefined;
}

/** `1/N` for the batch of `x`, computed in the graph so any batch size works. */
export function inverseBatchSize(b: GraphBuilder, x: string): string {
  const shape = b.op('Shape', [x], {}, [b.shapeOf(x).length], 'x_shape', 'int64');
  const n = b.op('Gather', [shape, b.int64s([0])], { axis: int(0) }, [1], 'n', 'int64');
  return b.unary('Reciprocal', b.op('Cast', [n], { to: int(1) }, [1], 'n_float'));
}

/** Cross-entropy's options as the graph needs them: the class weights (for `correct`) and distillation's teacher input. */
export interface CrossEntropyOptions {
  lossOptions?: LossOptions | undefined;
  /** The `[N, classes]` teacher-logits input, when the loss distils. */
  teacher?: string | undefined;
}

/**
 * Emit a loss. `output` is `[N, ...]` (logits for `softmaxCrossEntropy`); `target` is `[N, D]`
 * (regression targets, channels-last flattened, or core's cross-entropy target: labels or soft
 * labels with smoothing and class weights applied, see `crossEntropyTarget`).
 */
export function emitLoss(b: GraphBuilder, kind: LossKind, output: string, target: string, options: CrossEntropyOptions = {}): LossValues {
  if (kind === 'tokenCrossEntropy') return tokenCrossEntropy(b, output, target);
  const flatShape = b.shapeOf(target);
  const flat = b.shapeOf(output).length === 2 ? output : reshapeTo(b, output, flatShape);
  // From the target, a graph input: the same N, and a multi-step graph computes it once per run.
  const invN = inverseBatchSize(b, target);
  const values = kind === 'softmaxCrossEntropy' ? crossEntropy(b, flat, target, invN, options) : meanSquaredError(b, flat, target, invN);
  return flat === output ? values : { ...values, dOutput: reshapeTo(b, values.dOutput, b.shapeOf(output)) };
}

/**
 * −Σ Q·log softmax(logits)/N, from the logits for stability; d/dlogits = (softmax·rowSum(Q) − Q)/N.
 * A one-hot row sums to exactly 1, so labels give `(softmax − onehot)/N` bit for bit; weighted rows
 * do not sum to 1. With distillation, `(1 − α)·` this plus {@link distillationTerm}.
 */
function crossEntropy(b: GraphBuilder, logits: string, target: string, invN: string, options: CrossEntropyOptions): LossValues {
  const { sum, logProbabilities } = crossEntropySum(b, logits, target);
  const probabilities = b.unary('Exp', logProbabilities);
  const rowSums = b.op('ReduceSum', [target, b.int64s([1])], { keepdims: int(1) }, ['N', 1], 'target_row_sum');
  const dOutput = b.binary('Mul', b.binary('Sub', b.binary('Mul', probabilities, rowSums), target), invN);
  const weights = options.lossOptions?.classWeights;
  // Dividing out the class weights leaves the (smoothed) labels, whose argmax is the class to count.
  const counted = weights ? b.binary('Div', target, b.initializer('class_weights', Float32Array.from(weights), [weights.length])) : target;
  const values = { sum, mean: meanOf(b, sum, invN), dOutput, correct: correctCount(b, logits, counted) };
  const distillation = options.lossOptions?.distillation;
  if (!distillation) return values;
  if (!options.teacher) throw new Error('distillation needs the teacher input');
  const kl = distillationTerm(b, logits, options.teacher, distillation.temperature, invN);
  const { alpha, temperature: t } = distillation;
  const mix = (ce: string, term: string, termScale: number): string =>
    b.binary('Add', b.binary('Mul', ce, b.scalar(1 - alpha)), b.binary('Mul', term, b.scalar(alpha * termScale)));
  return { ...values, mean: mix(values.mean, kl.mean, t * t), dOutput: mix(dOutput, kl.dOutput, t * t) };
}

/**
 * KL(softmax(teacher/T) ‖ softmax(logits/T)), mean over the batch, and its gradient with respect to
 * the logits, `(softmax(logits/T) − softmax(teacher/T))/(T·N)`.
 */
function distillationTerm(
  b: GraphBuilder,
  logits: string,
  teacher: string,
  temperature: number,
  invN: string,
): { mean: string; dOutput: string } {
  const invT = b.scalar(1 / temperature);
  const logSoftmax = (v: string, name: string): string =>
    b.op('LogSoftmax', [b.binary('Mul', v, invT)], { axis: int(-1) }, b.shapeOf(logits), name);
  const logStudent = logSoftmax(logits, 'log_student');
  const logTeacher = logSoftmax(teacher, 'log_teacher');
  const teacherP = b.unary('Exp', logTeacher);
  const klSum = b.op('ReduceSum', [b.binary('Mul', teacherP, b.binary('Sub', logTeacher, logStudent))], { keepdims: int(0) }, [], 'kl_sum');
  const dOutput = b.binary('Mul', b.binary('Sub', b.unary('Exp', logStudent), teacherP), b.binary('Mul', invN, invT));
  return { mean: meanOf(b, klSum, invN), dOutput };
}

/**
 * Masked-language modelling's loss: `logits` `[N, T, V]`, `target` `[N, T]` the token labels as
 * floats (a vocabulary id, or −100 where the position is ignored). With `Q` the one-hot of each
 * counted position divided by their number `M`, the loss is `−Σ Q·log softmax(logits)` (the mean
 * over counted positions, PyTorch's `ignore_index` reduction) and its gradient
 * `softmax·rowSum(Q) − Q`; ignored rows have `Q = 0`, so they neither add nor get a gradient.
 * `sum` is the mean times N, so an evaluation's summed loss over its samples averages back to it.
 */
function tokenCrossEntropy(b: GraphBuilder, logits: string, target: string): LossValues {
  const shape = b.shapeOf(logits);
  const vocab = shape[shape.length - 1] as number;
  const rows = b.shapeOf(target);
  const counted = b.op(
    'Cast',
    [b.op('Greater', [target, b.scalar(-0.5)], {}, rows, 'counted_bool', 'bool')],
    { to: int(1) },
    rows,
    'counted',
  );
  const count = b.op('ReduceSum', [counted], { keepdims: int(0) }, [], 'counted_sum');
  const perToken = b.binary('Div', counted, b.op('Max', [count, b.scalar(1)], {}, [], 'counted_at_least_1'));
  const ids = b.op('Cast', [b.op('Max', [target, b.scalar(0)], {}, rows, 'label_or_0')], { to: int(7) }, rows, 'label_ids', 'int64');
  const onehot = b.op(
    'OneHot',
    [ids, b.int64s([vocab]), b.initializer('onehot_values', Float32Array.of(0, 1), [2])],
    { axis: int(-1) },
    shape,
    'label_onehot',
  );
  const weight = b.op('Unsqueeze', [perToken, b.int64s([-1])], {}, [...rows, 1], 'token_weight');
  const q = b.binary('Mul', onehot, weight);
  const logProbabilities = b.op('LogSoftmax', [logits], { axis: int(-1) }, shape, 'log_softmax');
  const mean = b.unary('Neg', b.op('ReduceSum', [b.binary('Mul', q, logProbabilities)], { keepdims: int(0) }, [], 'token_ce'));
  const dOutput = b.binary('Sub', b.binary('Mul', b.unary('Exp', logProbabilities), weight), q);
  return { mean, sum: b.binary('Div', mean, inverseBatchSize(b, target)), dOutput };
}

/** The width of the `target` input a loss takes: the tokens for `tokenCrossEntropy` (one label each), else the model's outputs. */
export function targetWidth(kind: LossKind, outputShape: readonly number[]): number {
  return kind === 'tokenCrossEntropy' ? outputShape[0]! : outputShape.reduce((a, b) => a * b, 1);
}

/** Mean over features of (output − target)², averaged over the batch (PyTorch's and Keras's `mse`). */
function meanSquaredError(b: GraphBuilder, output: string, target: string, invN: string): LossValues {
  const features = b.shapeOf(target)[1] as number;
  const { sum, diff } = squaredErrorSum(b, output, target);
  const dOutput = b.binary('Mul', diff, b.binary('Mul', invN, b.scalar(2 / features)));
  return { sum, mean: meanOf(b, sum, invN), dOutput };
}

function meanOf(b: GraphBuilder, sum: string, invN: string): string {
  return reshapeTo(b, b.binary('Mul', sum, invN), []);
}

/** Samples whose highest logit is their label (ties go to the first index, as in argmax). */
function correctCount(b: GraphBuilder, logits: string, onehot: string): string {
  const argmax = (v: string): string => b.op('ArgMax', [v], { axis: int(1), keepdims: int(0) }, ['N'], 'argmax', 'int64');
  const hits = b.op(
    'Cast',
    [b.op('Equal', [argmax(logits), argmax(onehot)], {}, ['N'], 'hit', 'int64')],
    { to: int(1) },
    ['N'],
    'hit_float',
  );
  return b.op('ReduceSum', [hits], { keepdims: int(0) }, [], 'correct');
}

/** The summed per-sample loss alone, for evaluation graphs (no gradient, no count). */
export function emitLossSum(b: GraphBuilder, kind: LossKind, output: string, target: string): string {
  if (kind === 'tokenCrossEntropy') return tokenCrossEntropy(b, output, target).sum;
  const flat = b.shapeOf(output).length === 2 ? output : reshapeTo(b, output, b.shapeOf(target));
  return kind === 'mse' ? squaredErrorSum(b, flat, target).sum : crossEntropySum(b, flat, target).sum;
}

function crossEntropySum(b: GraphBuilder, logits: string, onehot: string): { sum: string; logProbabilities: string } {
  const logProbabilities = b.op('LogSoftmax', [logits], { axis: int(-1) }, b.shapeOf(logits), 'log_softmax');
  return {
    sum: b.unary('Neg', b.op('ReduceSum', [b.binary('Mul', onehot, logProbabilities)], { keepdims: int(0) }, [], 'ce_sum')),
    logProbabilities,
  };
}

/** Σ over samples of the mean squared error over features. */
function squaredErrorSum(b: GraphBuilder, output: string, target: string): { sum: string; diff: string } {
  const diff = b.binary('Sub', output, target);
  const features = b.shapeOf(target)[1] as number;
  return {
    sum: b.binary('Mul', b.op('ReduceSum', [b.binary('Mul', diff, diff)], { keepdims: int(0) }, [], 'se_sum'), b.scalar(1 / features)),
    diff,
  };
}
