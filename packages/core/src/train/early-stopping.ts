import type { Model } from '../backend.js';
import type { NamedTensors } from '../tensors.js';
import type { EpochMetrics } from './events.js';
import type { EarlyStopping } from './fit-plan.js';

type Monitor = NonNullable<EarlyStopping['monitor']>;

/** Prefix of the best epoch's weights in a resumable checkpoint (beside the optimizer's `optim.*` state). */
const BEST_PREFIX = 'optim.bestWeights.';

/** Keras-style early stopping: watch a metric, stop after `patience` epochs without improvement. */
export class EarlyStopper {
  private readonly monitor: Monitor;
  private best = Number.NaN;
  private bestEpoch = -1;
  private wait = 0;
  private bestWeights: NamedTensors | undefined;
  private bestEpochMetrics: EpochMetrics | undefined;

  constructor(
    private readonly config: EarlyStopping,
    hasValidation: boolean,
  ) {
    const wanted = config.monitor ?? 'valLoss';
    // Without validation data the val* metrics do not exist; watch their training counterpart.
    this.monitor = hasValidation || !wanted.startsWith('val') ? wanted : wanted === 'valLoss' ? 'loss' : 'accuracy';
  }

  /** Record an epoch's metrics; `stop` once patience is exhausted. */
  async update(epoch: number, metrics: EpochMetrics, model: Model): Promise<'continue' | 'stop'> {
    const value = metrics[this.monitor];
    if (value === undefined) return 'continue';
    const sign = this.monitor.endsWith('ccuracy') ? 1 : -1;
    if (Number.isNaN(this.best) || sign * (value - this.best) > (this.config.minDelta ?? 0)) {
      this.best = value;
      this.bestEpoch = epoch;
      this.bestEpochMetrics = metrics;
      this.wait = 0;
      if (this.config.restoreBest !== false) {
        // An opaque ONNX block never changes: no second copy of its bytes. Other frozen layers are kept,
        // since a strategy may unfreeze them later in the phase (gradual-unfreeze).
        const fixed = new Set(model.spec.layers.filter((l) => l.type === 'onnx').map((l) => l.name));
        this.bestWeights = new Map([...(await model.getWeights())].filter(([name]) => !fixed.has(layerOf(name))));
      }
      return 'continue';
    }
    this.wait++;
    return this.wait >= this.config.patience ? 'stop' : 'continue';
  }

  /** Put the best epoch's weights back, when configured to. */
  async restoreBest(model: Model): Promise<void> {
    if (this.bestWeights) await model.setWeights(this.bestWeights);
  }

  /** The metrics of the best epoch. */
  bestMetrics(history: EpochMetrics[]): EpochMetrics {
    return this.bestEpochMetrics ?? history[history.length - 1] ?? { loss: Number.NaN };
  }

  summary(): { monitor: string; best: number; bestEpoch: number } {
    return { monitor: this.monitor, best: this.best, bestEpoch: this.bestEpoch };
  }

  /** For checkpoints, with {@link tensors}. */
  state(): { best: number; bestEpoch: number; wait: number; metrics?: EpochMetrics | undefined } {
    return {
      best: this.best,
      bestEpoch: this.bestEpoch,
      wait: this.wait,
      ...(this.bestEpochMetrics ? { metrics: this.bestEpochMetrics } : {}),
    };
  }

  /** The best epoch's weights and metrics as checkpoint tensors, so a resumed run restores the same best. */
  tensors(): NamedTensors {
    const tensors: NamedTensors = new Map();
    for (const [name, tensor] of this.bestWeights ?? []) tensors.set(BEST_PREFIX + name, tensor);
    return tensors;
  }

  /**
   * Continue from {@link state} and {@link tensors}, given the metrics of the epochs already run.
   * @returns `saved` without the early-stopping tensors: the optimizer's own state.
   */
  restore(
    state: { best: number | null; bestEpoch: number; wait: number; metrics?: EpochMetrics | undefined },
    saved: NamedTensors,
  ): NamedTensors {
    this.best = state.best ?? Number.NaN;
    this.bestEpoch = state.bestEpoch;
    this.wait = state.wait;
    this.bestEpochMetrics = state.metrics;
    const rest: NamedTensors = new Map();
    const best: NamedTensors = new Map();
    for (const [name, tensor] of saved) {
      if (name.startsWith(BEST_PREFIX)) best.set(name.slice(BEST_PREFIX.length), tensor);
      else rest.set(name, tensor);
    }
    if (best.size > 0) this.bestWeights = best;
    return rest;
  }
}

/** `enc1.kernel` → `enc1`. */
function layerOf(parameter: string): string {
  const dot = parameter.lastIndexOf('.');
  return dot < 0 ? parameter : parameter.slice(0, dot);
}
