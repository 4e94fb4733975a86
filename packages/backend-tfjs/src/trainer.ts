import {
  HeadstartError,
  type Batch,
  type EvalResult,
  type NamedTensors,
  type StepOptions,
  type StepResult,
  type Trainer,
  type TrainerOptions,
} from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import { movingAverage } from './layers/batch-norm.js';
import { selectEngine } from './engine/engine.js';
import { mixSeeds, stepLrScale, targetClasses, teacherLogits } from '@headstart/core/backend-kit';
import type { BatchStatistics, ForwardMode } from './layers/forward-types.js';
import { batchInputs } from './inputs.js';
import { countCorrect, distillationLoss, meanLoss, sampleLosses, targetTensor } from './losses.js';
import type { ModelParts } from './model-parts.js';
import { createOptimizer, type Optimizer } from './optimizers.js';
import { L2SpPenalty } from './regularizers.js';
import { planTraining, type TrainingPlan } from './training-plan.js';

/** Tensors of one step that must outlive the gradient's own tidy. */
interface Held {
  statistics: BatchStatistics[];
  /** The logits, for counting correct predictions in JS (fewer kernels, and none on the gradient tape). */
  logits?: tf.Tensor | undefined;
}

/**
 * Trains one model. Gradients reach only `options.trainable`; every other parameter, and the
 * statistics of frozen batch-norm layers, stay bit-identical because nothing assigns them.
 */
export class TfjsTrainer implements Trainer {
  private readonly plan: TrainingPlan;
  private readonly optimizer: Optimizer;
  private readonly l2sp: L2SpPenalty | undefined;
  private readonly seed: number;
  private disposed = false;

  /** @throws HeadstartError (BAD_INPUT) for options that do not fit the model. */
  constructor(
    private readonly model: ModelParts,
    private readonly options: TrainerOptions,
    private readonly onDispose: () => void,
  ) {
    if (options.loss !== 'mse' && !model.compiled.endsInSoftmax) {
      throw new HeadstartError(
        'BAD_INPUT',
        `loss ${options.loss} needs a model ending in a softmax activation; add one to the last layer or use mse`,
      );
    }
    this.plan = planTraining(model.spec, model.params, options);
    this.optimizer = createOptimizer(options.optimizer, this.plan.optimized);
    this.l2sp = options.l2sp ? new L2SpPenalty(options.l2sp.weight, options.l2sp.reference, this.plan.trained) : undefined;
    this.seed = options.seed ?? model.seed;
  }

  async step(batch: Batch, options?: StepOptions | number): Promise<StepResult> {
    if (this.disposed) throw new Error('tfjs: this trainer was disposed');
    const lrScale = stepLrScale(options);
    const held: Held = { statistics: [] };
    selectEngine(this.model.engine);
    try {
      const loss = tf.tidy(() => {
        const { value, grads } = this.gradients(batch, held);
        this.optimizer.apply(grads, lrScale);
        this.updateMovingStatistics(held.statistics);
        return value;
      });
      const lossValue = (await loss.data())[0]!;
      loss.dispose();
      const classes = held.logits && targetClasses(batch, held.logits.size / batch.size);
      return classes ? { loss: lossValue, correct: countCorrect(await held.logits!.data(), classes) } : { loss: lossValue };
    } finally {
      for (const s of held.statistics) tf.dispose([s.mean, s.variance]);
      held.logits?.dispose();
    }
  }

  /** Loss (data term plus L2-SP) and its gradients for the trained variables. */
  private gradients(batch: Batch, held: Held): { value: tf.Scalar; grads: tf.NamedTensorMap } {
    const x = batchInputs(this.model.spec, batch);
    const { loss, lossOptions } = this.options;
    const target = targetTensor(loss, batch, this.model.outputShape, lossOptions);
    const distillation = lossOptions?.distillation;
    const teacher = distillation && tf.tensor2d(teacherLogits(batch, target.shape[1]), target.shape);
    const mode: ForwardMode = {
      training: true,
      logits: true,
      frozenBatchNorm: this.plan.frozenBatchNorm,
      // The optimizer's step count is part of its state, so a resumed run draws the same masks.
      dropoutSeed: mixSeeds(this.seed, this.optimizer.steps),
      onBatchStatistics: (s) => held.statistics.push(s),
    };
    const objective = (): tf.Scalar => {
      const logits = this.model.compiled.forward(x, mode);
      if ((batch.labels || batch.targets) && loss === 'softmaxCrossEntropy') held.logits = tf.keep(logits);
      const crossEntropy = meanLoss(loss, logits, target);
      // Hinton: alpha·T²·KL(teacher ‖ student) + (1 − alpha)·cross-entropy.
      const data: tf.Scalar = distillation
        ? tf.add(
            tf.mul(crossEntropy, 1 - distillation.alpha),
            tf.mul(distillationLoss(logits, teacher!, distillation.temperature), distillation.alpha),
          )
        : crossEntropy;
      const penalty = this.l2sp?.value();
      return penalty ? tf.add(data, penalty) : data;
    };
    const variables = [...this.plan.trained.values()];
    return variables.length > 0 ? tf.variableGrads(objective, variables) : { value: objective(), grads: {} };
  }

  private updateMovingStatistics(statistics: BatchStatistics[]): void {
    for (const { layer, mean, variance } of statistics) {
      const momentum = this.plan.updatedBatchNorm.get(layer);
      if (momentum === undefined) continue;
      const movingMean = this.model.params.get(`${layer}.movingMean`);
      const movingVariance = this.model.params.get(`${layer}.movingVariance`);
      movingMean.assign(movingAverage(movingMean, mean, momentum));
      movingVariance.assign(movingAverage(movingVariance, variance, momentum));
    }
  }

  /** Summed loss (without L2-SP: it measures the fit to the data) and outputs, in inference mode. */
  async evaluate(batch: Batch): Promise<EvalResult> {
    const { spec, compiled, outputShape } = this.model;
    selectEngine(this.model.engine);
    const [lossSum, outputs] = tf.tidy(() => {
      const logits = compiled.forward(batchInputs(spec, batch), { training: false, logits: true });
      // The cross-entropy alone (no distillation term): evaluation measures the model against the labels.
      const losses = sampleLosses(this.options.loss, logits, targetTensor(this.options.loss, batch, outputShape, this.options.lossOptions));
      return [tf.sum(losses), compiled.endsInSoftmax ? tf.softmax(logits) : logits];
    });
    try {
      return { lossSum: (await lossSum.data())[0]!, outputs: new Float32Array(await outputs.data()) };
    } finally {
      tf.dispose([lossSum, outputs]);
    }
  }

  async getState(): Promise<NamedTensors> {
    return this.optimizer.getState();
  }

  async setState(state: NamedTensors): Promise<void> {
    selectEngine(this.model.engine);
    this.optimizer.setState(state);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.optimizer.dispose();
    this.l2sp?.dispose();
    this.onDispose();
  }
}
