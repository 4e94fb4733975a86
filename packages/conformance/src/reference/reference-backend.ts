import {
  createRng,
  HeadstartError,
  initializeWeights,
  parameterShapes,
  sameShape,
  validateSpec,
  type Backend,
  type Model,
  type ModelSpec,
  type NamedTensors,
  type ParameterInfo,
  type ParameterShape,
  type Trainer,
  type TrainerOptions,
} from '@headstart/core';
import { checkInput, givenWeights } from '@headstart/core/backend-kit';
import { referenceForward, toWeights64, type Weights64 } from './forward.js';
import { ReferenceTrainer } from './reference-trainer.js';

/** Registry-style name of the float64 reference backend. */
export const REFERENCE_BACKEND_NAME = 'float64-reference';

/**
 * A backend in plain float64 JavaScript: the reference the conformance suite compares every backend
 * with. Forward passes are loops over canonical layouts and gradients are central finite
 * differences, so it is slow and meant for the suite's tiny models only. It runs chains and graphs
 * (residual `add`, `concat`) alike. It has no import or export.
 */
export function createReferenceBackend(): Backend {
  return {
    name: REFERENCE_BACKEND_NAME,
    meta: { version: '0.0.0', description: 'float64 JavaScript reference: loops and finite differences, for conformance tests' },
    probe: async () => ({ available: true, engine: 'float64', reasons: ['plain JavaScript; always available'] }),
    async createModel(spec, weights, options) {
      const valid = validateSpec(spec);
      const given = givenWeights(valid, weights, options?.fresh);
      const seed = options?.seed ?? 0;
      const model = new ReferenceModel(valid, toWeights64(initializeWeights(valid, createRng(seed))), seed);
      if (given) await model.setWeights(given);
      return model;
    },
  };
}

class ReferenceModel implements Model {
  readonly engine = `${REFERENCE_BACKEND_NAME}/float64`;
  private readonly shapes: ParameterShape[];

  constructor(
    readonly spec: ModelSpec,
    private readonly weights: Weights64,
    private readonly seed: number,
  ) {
    this.shapes = parameterShapes(spec);
  }

  parameters(): ParameterInfo[] {
    return this.shapes.map((p) => ({ name: p.name, shape: [...p.shape], trainable: p.role !== 'statistic' }));
  }

  async getWeights(): Promise<NamedTensors> {
    return new Map(this.shapes.map((p) => [p.name, { shape: [...p.shape], data: Float32Array.from(this.weights.get(p.name)!) }]));
  }

  async setWeights(weights: NamedTensors): Promise<void> {
    for (const [name, tensor] of weights) {
      const p = this.shapes.find((s) => s.name === name);
      if (!p) throw new HeadstartError('BAD_INPUT', `unknown parameter "${name}"`);
      if (!sameShape(p.shape, tensor.shape) || tensor.data.length !== this.weights.get(name)!.length) {
        throw new HeadstartError('BAD_INPUT', `parameter "${name}": shape [${tensor.shape}] does not match the model's [${p.shape}]`);
      }
    }
    for (const [name, tensor] of weights) this.weights.set(name, Float64Array.from(tensor.data));
  }

  async predict(x: Float32Array, size: number): Promise<Float32Array> {
    if (this.spec.inputs)
      throw new HeadstartError('NOT_SUPPORTED', 'predict takes one input x; this model takes named inputs: use evaluate(batch)');
    checkInput(this.spec.inputShape, x, size);
    return Float32Array.from(referenceForward(this.spec, this.weights, x, size, { training: false }).output);
  }

  trainer(options: TrainerOptions): Trainer {
    return new ReferenceTrainer({ spec: this.spec, weights: this.weights, seed: this.seed }, options);
  }

  dispose(): void {}
}
