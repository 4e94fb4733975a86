import {
  createRng,
  HeadstartError,
  initializeWeights,
  outputShape,
  parameterShapes,
  sizeOf,
  validateSpec,
  type Model,
  type ModelSpec,
  type NamedTensors,
  type ParameterInfo,
  type Trainer,
  type TrainerOptions,
} from '@headstart/core';
import type { InferenceSession } from 'onnxruntime-node';
import { checkInput, inputsChunk } from '@headstart/core/backend-kit';
import { modelInputFeeds } from './batch-input.js';
import { buildPredictGraph, IO } from '../compiler/inference-graph.js';
import type { ModelParts } from './model-parts.js';
import { createOpaqueBaseModel } from './opaque-base-model.js';
import { ParameterStore } from './parameter-store.js';
import { engineName } from './devices.js';
import { createSession, type SessionSettings } from './session.js';
import { TYPICAL_BATCH } from './threads.js';
import { OnnxTrainer } from './trainer.js';

/** Samples per forward pass in {@link Model.predict}; bounds memory on large inputs. */
const PREDICT_CHUNK = 4096;

/**
 * A live model on onnxruntime: parameters as tensors and a forward session built once. Parameters
 * missing from `weights` get core's seeded initial values (the backend's `createModel` has checked
 * with `givenWeights` that only the layers asked to start fresh are missing).
 * A model starting with an opaque ONNX block runs the block in its own session ahead of the rest
 * (see {@link createOpaqueBaseModel}).
 */
export async function createOnnxModel(
  spec: ModelSpec,
  weights: NamedTensors | undefined,
  settings: SessionSettings,
  seed = 0,
): Promise<Model> {
  const valid = validateSpec(spec);
  if (valid.layers[0]!.type === 'onnx') return createOpaqueBaseModel(valid, weights, settings, seed, createOnnxModel);
  const params = new ParameterStore(settings.ort, valid, parameterShapes(valid), initializeWeights(valid, createRng(seed)));
  if (weights) params.write(weights);
  const parts: ModelParts = { spec: valid, params, session: settings, outputSize: sizeOf(outputShape(valid)), seed };
  return new OnnxModel(parts, await createSession(settings, buildPredictGraph(valid), valid, TYPICAL_BATCH));
}

/** A model whose parameters live in a ParameterStore and whose forward pass is one session. */
export class OnnxModel implements Model {
  readonly spec: ModelSpec;
  readonly engine: string;
  private readonly trainers = new Set<Trainer>();

  constructor(
    readonly parts: ModelParts,
    private readonly predictSession: InferenceSession,
  ) {
    this.spec = parts.spec;
    this.engine = engineName(parts.session.device);
  }

  parameters(): ParameterInfo[] {
    return this.parts.params.shapes.map((p) => ({ name: p.name, shape: [...p.shape], trainable: p.role !== 'statistic' }));
  }

  async getWeights(): Promise<NamedTensors> {
    return this.parts.params.read();
  }

  async setWeights(weights: NamedTensors): Promise<void> {
    this.parts.params.write(weights);
  }

  async predict(x: Float32Array, size: number): Promise<Float32Array> {
    const { spec, outputSize, params, session } = this.parts;
    if (spec.inputs) {
      throw new HeadstartError(
        'NOT_SUPPORTED',
        `predict takes one input x; this model takes named inputs (${spec.inputs.map((i) => i.name).join(', ')}): use predictInputs`,
      );
    }
    checkInput(spec.inputShape, x, size);
    const perInput = sizeOf(spec.inputShape);
    const result = new Float32Array(size * outputSize);
    for (let start = 0; start < size; start += PREDICT_CHUNK) {
      const count = Math.min(PREDICT_CHUNK, size - start);
      const samples = x.subarray(start * perInput, (start + count) * perInput);
      const feeds = { ...params.feeds(), [IO.x]: new session.ort.Tensor('float32', samples, [count, ...spec.inputShape]) };
      const out = await this.predictSession.run(feeds);
      result.set(out[IO.output]!.data as Float32Array, start * outputSize);
    }
    return result;
  }

  async predictInputs(inputs: Record<string, Int32Array | Float32Array>, size: number): Promise<Float32Array> {
    const { spec, outputSize, params, session } = this.parts;
    const result = new Float32Array(size * outputSize);
    for (let start = 0; start < size; start += PREDICT_CHUNK) {
      const count = Math.min(PREDICT_CHUNK, size - start);
      const chunk = inputsChunk(spec, inputs, start, count);
      const feeds = { ...params.feeds(), ...modelInputFeeds(session.ort, spec, { x: new Float32Array(0), size: count, inputs: chunk }) };
      const out = await this.predictSession.run(feeds);
      result.set(out[IO.output]!.data as Float32Array, start * outputSize);
    }
    return result;
  }

  trainer(options: TrainerOptions): Trainer {
    const trainer: Trainer = new OnnxTrainer(this.parts, options, () => this.trainers.delete(trainer));
    this.trainers.add(trainer);
    return trainer;
  }

  /** Release the sessions, and those of every trainer not yet disposed. Safe to call twice. */
  dispose(): void {
    for (const trainer of [...this.trainers]) trainer.dispose();
    void this.predictSession.release().catch(() => undefined);
  }
}
