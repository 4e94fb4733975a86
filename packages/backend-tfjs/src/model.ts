import {
  createRng,
  HeadstartError,
  initializeWeights,
  outputShape,
  sizeOf,
  validateSpec,
  type Model,
  type ModelSpec,
  type NamedTensors,
  type ParameterInfo,
  type Trainer,
  type TrainerOptions,
} from '@headstart/core';
import { checkInput, inputsChunk } from '@headstart/core/backend-kit';
import * as tf from '@tensorflow/tfjs';
import { selectEngine, type EngineName } from './engine/engine.js';
import { compileForward } from './forward.js';
import { batchInputs, inputTensor } from './inputs.js';
import type { ModelParts } from './model-parts.js';
import { ParameterStore } from './parameters.js';
import { TfjsTrainer } from './trainer.js';

/** Samples per forward pass in {@link Model.predict}; bounds memory on large inputs. */
const PREDICT_CHUNK = 1024;

/** Options of {@link createTfjsModel}. */
export interface TfjsModelOptions {
  /** The engine running it, shown as `tfjs/<engine>`; it must have been started. */
  engine: EngineName;
  /** Seed of fresh weights and the default seed of dropout masks. Default 0. */
  seed?: number | undefined;
}

/**
 * A live model: tf.Variables for every parameter and a forward function composed from the spec
 * (not tf.layers, whose batch norm updates its statistics even when frozen).
 * Parameters missing from `weights` get core's seeded initial values (the backend's `createModel`
 * has checked with `givenWeights` that only the layers asked to start fresh are missing); unknown or
 * mis-shaped weights are refused.
 */
export function createTfjsModel(spec: ModelSpec, weights: NamedTensors | undefined, options: TfjsModelOptions): Model {
  const valid = validateSpec(spec);
  const seed = options.seed ?? 0;
  selectEngine(options.engine);
  const params = new ParameterStore(valid, initializeWeights(valid, createRng(seed)));
  try {
    if (weights) params.write(weights);
  } catch (error) {
    params.dispose();
    throw error;
  }
  const parts: ModelParts = {
    spec: valid,
    params,
    compiled: compileForward(valid, params),
    outputShape: outputShape(valid),
    seed,
    engine: options.engine,
  };
  return new TfjsModel(parts, `tfjs/${options.engine}`);
}

class TfjsModel implements Model {
  readonly spec: ModelSpec;
  private readonly trainers = new Set<Trainer>();

  constructor(
    private readonly parts: ModelParts,
    readonly engine: string,
  ) {
    this.spec = parts.spec;
  }

  parameters(): ParameterInfo[] {
    return this.parts.params.shapes.map((p) => ({ name: p.name, shape: [...p.shape], trainable: p.role !== 'statistic' }));
  }

  async getWeights(): Promise<NamedTensors> {
    return this.parts.params.read();
  }

  async setWeights(weights: NamedTensors): Promise<void> {
    selectEngine(this.parts.engine);
    this.parts.params.write(weights);
  }

  async predict(x: Float32Array, size: number): Promise<Float32Array> {
    if (this.spec.inputs) {
      throw new HeadstartError(
        'NOT_SUPPORTED',
        `predict takes one input x; this model takes named inputs (${this.spec.inputs.map((i) => i.name).join(', ')}): use predictInputs`,
      );
    }
    checkInput(this.spec.inputShape, x, size);
    const [perInput, perOutput] = [sizeOf(this.spec.inputShape), sizeOf(this.parts.outputShape)];
    const result = new Float32Array(size * perOutput);
    for (let start = 0; start < size; start += PREDICT_CHUNK) {
      const count = Math.min(PREDICT_CHUNK, size - start);
      const samples = x.subarray(start * perInput, (start + count) * perInput);
      // Selected again for each chunk: another model may have switched engines while this one awaited.
      selectEngine(this.parts.engine);
      const chunk = tf.tidy(() => this.parts.compiled.forward(inputTensor(this.spec, samples, count), { training: false }));
      try {
        result.set(await chunk.data(), start * perOutput);
      } finally {
        chunk.dispose();
      }
    }
    return result;
  }

  async predictInputs(inputs: Record<string, Int32Array | Float32Array>, size: number): Promise<Float32Array> {
    const perOutput = sizeOf(this.parts.outputShape);
    const result = new Float32Array(size * perOutput);
    for (let start = 0; start < size; start += PREDICT_CHUNK) {
      const count = Math.min(PREDICT_CHUNK, size - start);
      const batch = { x: new Float32Array(0), size: count, inputs: inputsChunk(this.spec, inputs, start, count) };
      selectEngine(this.parts.engine);
      const chunk = tf.tidy(() => this.parts.compiled.forward(batchInputs(this.spec, batch), { training: false }));
      try {
        result.set(await chunk.data(), start * perOutput);
      } finally {
        chunk.dispose();
      }
    }
    return result;
  }

  trainer(options: TrainerOptions): Trainer {
    selectEngine(this.parts.engine);
    const trainer: Trainer = new TfjsTrainer(this.parts, options, () => this.trainers.delete(trainer));
    this.trainers.add(trainer);
    return trainer;
  }

  /** Free the variables, and those of every trainer not yet disposed. Safe to call twice. */
  dispose(): void {
    for (const trainer of [...this.trainers]) trainer.dispose();
    this.parts.params.dispose();
  }
}
