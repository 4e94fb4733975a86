import type { Model } from '../backend.js';
import type { NamedTensors } from '../tensors.js';
import type { EpochMetrics } from './events.js';
import type { EarlyStopping } from './fit-plan.js';

type Monitor = NonNullable<EarlyStopping['monitor']>;

/** Keras-style early stopping: watch a metric, stop after `patience` epochs without improvement. */
export class EarlyStopper {
  private readonly monitor: Monitor;
  private best = Number.NaN;
  private bestEpoch = -1;
  private wait = 0;
  private bestWeights: NamedTensors | undefined;
  private bestEpochMetrics: EpochMetrics | undefined;

  constructor(private readonly config: EarlyStopping, hasValidation: boolean) {
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
      if (this.config.restoreBest !== false) this.bestWeights = await model.getWeights();
      return 'continue';
    }
    this.wait++;
    return this.wait >= this.config.patience ? 'stop' : 'continue';
  }

  /** Put the best epoch's weights back, when configured to. */
  async restoreBest(model: Model): Promise<void> {
    if (this.bestWeights) await model.setWeights(this.bestWeights);
  }

  /** The metrics of the best epoch seen by this process (a resumed run knows only its own epochs). */
  bestMetrics(history: EpochMetrics[]): EpochMetrics {
    return this.bestEpochMetrics ?? history[history.length - 1] ?? { loss: Number.NaN };
  }

  summary(): { monitor: string; best: number; bestEpoch: number } {
    return { monitor: this.monitor, best: this.best, bestEpoch: this.bestEpoch };
  }

  /** For checkpoints. */
  state(): { best: number; bestEpoch: number; wait: number } {
    return { best: this.best, bestEpoch: this.bestEpoch, wait: this.wait };
  }

  /** Continue from {@link state}. The best weights are not in a checkpoint, so a resumed run restores the best it sees itself. */
  restore(state: { best: number | null; bestEpoch: number; wait: number }): void {
    this.best = state.best ?? Number.NaN;
    this.bestEpoch = state.bestEpoch;
    this.wait = state.wait;
  }
}
