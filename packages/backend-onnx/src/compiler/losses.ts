import type { LossKind } from '@headstart/core';
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

/**
 * Emit a loss. `output` is `[N, ...]` (logits for `softmaxCrossEntropy`); `target` is `[N, D]`
 * (one-hot labels or regression targets, channels-last flattened).
 */
export function emitLoss(b: GraphBuilder, kind: LossKind, output: string, target: string): LossValues {
  const flatShape = b.shapeOf(target);
  const flat = b.shapeOf(output).length === 2 ? output : reshapeTo(b, output, flatShape);
  // From the target, a graph input: the same N, and a multi-step graph computes it once per run.
  const invN = inverseBatchSize(b, target);
  const values = kind === 'softmaxCrossEntropy' ? crossEntropy(b, flat, target, invN) : meanSquaredError(b, flat, target, invN);
  return flat === output ? values : { ...values, dOutput: reshapeTo(b, values.dOutput, b.shapeOf(output)) };
}

/** −Σ onehot·log softmax(logits), from the logits for stability; d/dlogits = (softmax − onehot)/N. */
function crossEntropy(b: GraphBuilder, logits: string, onehot: string, invN: string): LossValues {
  const { sum, logProbabilities } = crossEntropySum(b, logits, onehot);
  const probabilities = b.unary('Exp', logProbabilities);
  const dOutput = b.binary('Mul', b.binary('Sub', probabilities, onehot), invN);
  return { sum, mean: meanOf(b, sum, invN), dOutput, correct: correctCount(b, logits, onehot) };
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
