import {
  HeadstartError,
  type Batch,
  type EvalResult,
  type ModelSpec,
  type NamedTensors,
  type StepOptions,
  type StepResult,
  type Trainer,
  type TrainerOptions,
} from '@headstart/core';
import { checkInput, mixSeeds, planTraining, stepLrScale, type TrainingPlan } from '@headstart/core/backend-kit';
import { addL2sp } from './l2sp.js';
import { unsupportedLoss } from './unsupported.js';
import { batchLoss } from './losses.js';
import type { Network } from './network.js';
import { OptimizerState } from './optimizer-state.js';
import { applyUpdate } from './optimizers.js';
import type { ParameterStore } from './parameter-store.js';

/**
 * Trains a plainjs model: forward pass, loss and its gradient from the logits, back-propagation down
 * to the lowest trained layer, L2-SP, then each trained parameter's optimizer update. Parameters
 * outside the plan are never written, so they stay bit-identical.
 */
export class PlainJsTrainer implements Trainer {
  private readonly plan: TrainingPlan;
  private readonly state: OptimizerState;
  private readonly gradients: Map<string, Float64Array>;
  /** The lowest op the backward pass must reach. */
  private readonly lowest: number;

  /** @throws HeadstartError (BAD_INPUT) for options that do not fit the model. */
  constructor(
    private readonly spec: ModelSpec,
    private readonly network: Network,
    private readonly store: ParameterStore,
    private readonly options: TrainerOptions,
    /** Seed of dropout masks: `options.seed`, else the model's. */
    private readonly seed: number,
  ) {
    if (options.loss === 'softmaxCrossEntropy' && !network.endsInSoftmax) {
      throw new HeadstartError('BAD_INPUT', 'loss softmaxCrossEntropy needs a model ending in a softmax activation');
    }
    const lossOptions = Object.entries(options.lossOptions ?? {}).filter(([, value]) => value !== undefined);
    if (lossOptions.length > 0) throw unsupportedLoss(`loss option ${lossOptions.map(([name]) => name).join(', ')}`);
    this.plan = planTraining(spec, options, store.shapes);
    this.state = new OptimizerState(options.optimizer, this.plan.trained);
    this.gradients = new Map(this.plan.trained.map((p) => [p.name, new Float64Array(store.values(p.name).length)]));
    this.lowest = network.lowestOpOf(new Set(this.gradients.keys()));
  }

  async step(batch: Batch, options?: StepOptions | number): Promise<StepResult> {
    const lrScale = stepLrScale(options);
    checkInput(this.spec.inputShape, batch.x, batch.size);
    const mode = { training: true, frozenBatchNorm: this.plan.frozenBatchNorm, dropoutSeed: mixSeeds(this.seed, this.state.steps) };
    const loss = batchLoss(this.options.loss, this.network.forward(batch.x, batch.size, mode), batch);
    for (const gradient of this.gradients.values()) gradient.fill(0);
    this.network.backward(loss.gradient, batch.size, this.gradients, this.lowest);
    const penalty = this.options.l2sp ? addL2sp(this.options.l2sp, (name) => this.store.values(name), this.gradients) : 0;
    const t = this.state.steps + 1;
    for (const p of this.plan.trained) {
      const lr = this.plan.groupLrs[p.group]! * lrScale;
      applyUpdate(
        this.options.optimizer,
        {
          weights: this.store.values(p.name),
          gradient: this.gradients.get(p.name)!,
          lr,
          weightDecay: p.weightDecay,
          slots: this.state.of(p.name),
        },
        t,
      );
    }
    for (const [layer, momentum] of this.plan.updatedBatchNorm) this.network.batchNorm(layer)!.updateMovingStatistics(momentum);
    this.state.steps = t;
    const mean = loss.sum / batch.size + penalty;
    return loss.correct === undefined ? { loss: mean } : { loss: mean, correct: loss.correct };
  }

  async evaluate(batch: Batch): Promise<EvalResult> {
    checkInput(this.spec.inputShape, batch.x, batch.size);
    const values = this.network.forward(batch.x, batch.size, { training: false });
    return { lossSum: batchLoss(this.options.loss, values, batch).sum, outputs: this.network.probabilities(values) };
  }

  async getState(): Promise<NamedTensors> {
    return this.state.read();
  }

  async setState(state: NamedTensors): Promise<void> {
    this.state.write(state);
  }

  dispose(): void {}
}
