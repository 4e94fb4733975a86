import {
  HeadstartError,
  inferShapes,
  outputShape,
  sizeOf,
  type Batch,
  type EvalResult,
  type ModelSpec,
  type NamedTensors,
  type StepOptions,
  type StepResult,
  type Trainer,
  type TrainerOptions,
} from '@headstart/core';
import {
  dropoutMask,
  mixSeeds,
  planTraining,
  splitFinalSoftmax,
  stepLrScale,
  targetClasses,
  tokenLabels,
  tokenOutputShape,
  type TrainingPlan,
} from '@headstart/core/backend-kit';
import { finiteDifferenceGradients } from './finite-differences.js';
import { referenceForward, type ForwardMode, type Weights64 } from './forward.js';
import { crossEntropyMean, meanLoss, sampleLosses } from './loss.js';
import { applyUpdate, slotNames } from './optimizer.js';

/** What a reference trainer shares with its model. */
export interface ReferenceModelState {
  spec: ModelSpec;
  /** Current weights; every value is a float32 number, as a backend would store it. */
  weights: Weights64;
  /** Default dropout seed. */
  seed: number;
}

/**
 * The float64 reference of {@link Trainer}: gradients by central differences of the float64 forward
 * pass, PyTorch's update rules, Keras's moving averages for batch norm, and core's seeded dropout masks
 * (`dropoutMask(n·size, rate, mixSeeds(mixSeeds(seed, step), layerIndex))`). Weights and slots are
 * rounded to float32 after each step, as a backend stores them.
 */
export class ReferenceTrainer implements Trainer {
  private readonly plan: TrainingPlan;
  private readonly slots = new Map<string, Map<string, Float64Array>>();
  private readonly seed: number;
  private steps = 0;

  /** @throws HeadstartError (BAD_INPUT) for options that do not fit the model. */
  constructor(
    private readonly model: ReferenceModelState,
    private readonly options: TrainerOptions,
  ) {
    if (options.loss !== 'mse' && !splitFinalSoftmax(model.spec.layers).endsInSoftmax) {
      throw new HeadstartError('BAD_INPUT', `loss ${options.loss} needs a model ending in a softmax activation`);
    }
    this.plan = planTraining(model.spec, options);
    for (const p of this.plan.trained) {
      this.slots.set(p.name, new Map(slotNames(options.optimizer).map((slot) => [slot, new Float64Array(sizeOf(p.shape))])));
    }
    this.seed = options.seed ?? model.seed;
  }

  async step(batch: Batch, options?: StepOptions | number): Promise<StepResult> {
    this.checkTokenLabels(batch);
    const lrScale = stepLrScale(options);
    const { spec, weights } = this.model;
    const mode: ForwardMode = {
      training: true,
      logits: true,
      frozenBatchNorm: this.plan.frozenBatchNorm,
      dropoutMasks: this.dropoutMasks(batch.size),
    };
    const forward = referenceForward(spec, weights, inputsOf(batch), batch.size, mode);
    const names = this.plan.trained.map((p) => p.name);
    // The loss as a function of the weights alone: this step's dropout masks stay fixed while it is differentiated.
    const gradients = finiteDifferenceGradients(
      () =>
        meanLoss(
          this.options.loss,
          referenceForward(spec, weights, inputsOf(batch), batch.size, mode).output,
          batch,
          this.options.lossOptions,
        ),
      weights,
      names,
    );
    const loss = meanLoss(this.options.loss, forward.output, batch, this.options.lossOptions) + this.addL2sp(gradients);
    const t = this.steps + 1;
    for (const p of this.plan.trained) {
      const lr = this.plan.groupLrs[p.group]! * lrScale;
      applyUpdate(
        this.options.optimizer,
        { value: weights.get(p.name)!, gradient: gradients.get(p.name)!, lr, weightDecay: p.weightDecay, slots: this.slots.get(p.name)! },
        t,
      );
    }
    for (const [layer, momentum] of this.plan.updatedBatchNorm) {
      const statistics = forward.batchStatistics.get(layer)!;
      movingAverage(weights.get(`${layer}.movingMean`)!, statistics.mean, momentum);
      movingAverage(weights.get(`${layer}.movingVariance`)!, statistics.variance, momentum);
    }
    for (const values of [...weights.values(), ...[...this.slots.values()].flatMap((s) => [...s.values()])]) roundToFloat32(values);
    this.steps = t;
    const classes = targetClasses(batch, forward.output.length / batch.size);
    return classes && this.options.loss === 'softmaxCrossEntropy' ? { loss, correct: correctCount(forward.output, classes) } : { loss };
  }

  async evaluate(batch: Batch): Promise<EvalResult> {
    this.checkTokenLabels(batch);
    const logits = referenceForward(this.model.spec, this.model.weights, inputsOf(batch), batch.size, {
      training: false,
      logits: true,
    }).output;
    // With loss options, the cross-entropy (no distillation term) times the batch size, as backends report it.
    const crossEntropy = this.options.loss === 'softmaxCrossEntropy' && (this.options.lossOptions || batch.targets);
    const lossSum = crossEntropy
      ? crossEntropyMean(logits, batch, this.options.lossOptions ?? {}) * batch.size
      : sampleLosses(this.options.loss, logits, batch).reduce((a, b) => a + b, 0);
    const outputs = referenceForward(this.model.spec, this.model.weights, inputsOf(batch), batch.size, { training: false }).output;
    return { lossSum, outputs: Float32Array.from(outputs) };
  }

  async getState(): Promise<NamedTensors> {
    const state: NamedTensors = new Map();
    for (const p of this.plan.trained) {
      for (const [slot, values] of this.slots.get(p.name)!)
        state.set(`optim.${slot}.${p.name}`, { shape: [...p.shape], data: Float32Array.from(values) });
    }
    state.set('optim.step', { shape: [1], data: Float32Array.of(this.steps) });
    return state;
  }

  async setState(state: NamedTensors): Promise<void> {
    const step = state.get('optim.step')?.data;
    if (step?.length !== 1 || !Number.isInteger(step[0]) || step[0]! < 0)
      throw new HeadstartError('BAD_INPUT', 'optimizer state: optim.step must be one non-negative integer');
    const expected = new Set(['optim.step']);
    for (const p of this.plan.trained) {
      for (const slot of this.slots.get(p.name)!.keys()) {
        const name = `optim.${slot}.${p.name}`;
        const tensor = state.get(name);
        if (!tensor || tensor.data.length !== sizeOf(p.shape))
          throw new HeadstartError('BAD_INPUT', `optimizer state: ${name} is missing or mis-shaped`);
        expected.add(name);
      }
    }
    const unknown = [...state.keys()].filter((name) => !expected.has(name));
    if (unknown.length > 0) throw new HeadstartError('BAD_INPUT', `optimizer state: ${unknown.join(', ')} not used by this trainer`);
    for (const p of this.plan.trained) {
      for (const [slot, values] of this.slots.get(p.name)!) values.set(state.get(`optim.${slot}.${p.name}`)!.data);
    }
    this.steps = step[0]!;
  }

  dispose(): void {}

  /** The backends' one-line refusal of missing or out-of-range token labels, for `tokenCrossEntropy`. */
  private checkTokenLabels(batch: Batch): void {
    if (this.options.loss !== 'tokenCrossEntropy') return;
    const { tokens, vocab } = tokenOutputShape(outputShape(this.model.spec));
    tokenLabels(batch, tokens, vocab);
  }

  /** Core's seeded masks for this step, as every backend draws them. */
  private dropoutMasks(size: number): Map<string, Float32Array> {
    const masks = new Map<string, Float32Array>();
    // The layer's index is its position in spec.layers (a graph's topological order may differ).
    for (const { layer, inputShape, index } of inferShapes(this.model.spec)) {
      if (layer.type !== 'dropout' || layer.rate === 0) continue;
      masks.set(layer.name, dropoutMask(size * sizeOf(inputShape), layer.rate, mixSeeds(mixSeeds(this.seed, this.steps), index)));
    }
    return masks;
  }

  /** L2-SP, `weight/2 · Σ‖w − w₀‖²` over trained parameters with a reference: adds its gradient, returns its value. */
  private addL2sp(gradients: Map<string, Float64Array>): number {
    const l2sp = this.options.l2sp;
    if (!l2sp) return 0;
    let penalty = 0;
    for (const [name, gradient] of gradients) {
      const reference = l2sp.reference.get(name)?.data;
      if (!reference) continue;
      const w = this.model.weights.get(name)!;
      for (let i = 0; i < w.length; i++) {
        const d = w[i]! - reference[i]!;
        penalty += (l2sp.weight / 2) * d * d;
        gradient[i]! += l2sp.weight * d;
      }
    }
    return penalty;
  }
}

/** Keras's update, `moving · momentum + batch · (1 − momentum)`, in place. */
function movingAverage(moving: Float64Array, batch: Float64Array, momentum: number): void {
  for (let i = 0; i < moving.length; i++) moving[i] = moving[i]! * momentum + batch[i]! * (1 - momentum);
}

function roundToFloat32(values: Float64Array): void {
  for (let i = 0; i < values.length; i++) values[i] = Math.fround(values[i]!);
}

function correctCount(logits: Float64Array, classes: Int32Array): number {
  const width = logits.length / classes.length;
  let correct = 0;
  for (let s = 0; s < classes.length; s++) {
    const row = logits.subarray(s * width, (s + 1) * width);
    if (row.indexOf(Math.max(...row)) === classes[s]) correct++;
  }
  return correct;
}

/** What the forward pass takes from a batch: its named inputs when it has them, else `x`. */
function inputsOf(batch: Batch): ArrayLike<number> | ReadonlyMap<string, ArrayLike<number>> {
  return batch.inputs ? new Map(Object.entries(batch.inputs)) : batch.x;
}
