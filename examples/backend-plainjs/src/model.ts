import type { Model, ModelSpec, NamedTensors, ParameterInfo, Trainer, TrainerOptions } from '@headstart/core';
import { checkInput } from '@headstart/core/backend-kit';
import { Network } from './network.js';
import { ParameterStore } from './parameter-store.js';
import { PlainJsTrainer } from './trainer.js';
import { BACKEND_NAME } from './unsupported.js';

/** Samples per forward pass in `predict`, which bounds the memory a large prediction takes. */
const PREDICT_CHUNK = 256;

/** A live model: float32 parameters in canonical layouts and the {@link Network} that computes with them. */
export class PlainJsModel implements Model {
  readonly engine = `${BACKEND_NAME}/js`;
  private readonly store: ParameterStore;
  private readonly network: Network;

  /**
   * @param weights every parameter (fresh ones come from core's `initializeWeights`).
   * @throws HeadstartError (NOT_SUPPORTED) naming a layer this backend cannot run.
   */
  constructor(
    readonly spec: ModelSpec,
    weights: NamedTensors,
    private readonly seed: number,
  ) {
    this.store = new ParameterStore(spec);
    this.network = new Network(spec, this.store);
    this.store.write(weights);
  }

  parameters(): ParameterInfo[] {
    return this.store.shapes.map((p) => ({ name: p.name, shape: [...p.shape], trainable: p.role !== 'statistic' }));
  }

  async getWeights(): Promise<NamedTensors> {
    return this.store.read();
  }

  async setWeights(weights: NamedTensors): Promise<void> {
    this.store.write(weights);
  }

  async predict(x: Float32Array, size: number): Promise<Float32Array> {
    checkInput(this.spec.inputShape, x, size);
    const perSample = x.length / Math.max(size, 1);
    const out = new Float32Array(size * this.network.outputSize);
    for (let start = 0; start < size; start += PREDICT_CHUNK) {
      const n = Math.min(PREDICT_CHUNK, size - start);
      const logits = this.network.forward(x.subarray(start * perSample, (start + n) * perSample), n, { training: false });
      out.set(this.network.probabilities(logits), start * this.network.outputSize);
    }
    return out;
  }

  trainer(options: TrainerOptions): Trainer {
    return new PlainJsTrainer(this.spec, this.network, this.store, options, options.seed ?? this.seed);
  }

  dispose(): void {}
}
