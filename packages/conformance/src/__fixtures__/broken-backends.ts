import { createRng, initializeWeights, requireChain, validateSpec, type Backend, type Batch, type Model, type ModelSpec, type NamedTensors, type Trainer } from '@headstart/core';
import { createReferenceBackend } from '../reference/reference-backend.js';

/** How a broken backend departs from the float64 reference. */
export interface Breakage {
  /** Compute this spec instead of the one given (same parameters), while reporting the given one. */
  computes?: ((spec: ModelSpec) => ModelSpec) | undefined;
  /** Change predictions on their way out. */
  predict?: ((outputs: Float32Array) => Float32Array) | undefined;
  /** Replace a trainer's step (call `inner` for the real one). */
  step?: ((inner: Trainer['step'], model: Model, ...args: Parameters<Trainer['step']>) => ReturnType<Trainer['step']>) | undefined;
  /** Give the trainer a `stepMany` (call `step` for its step, broken or not). */
  stepMany?: ((step: Trainer['step'], ...args: Parameters<NonNullable<Trainer['stepMany']>>) => ReturnType<NonNullable<Trainer['stepMany']>>) | undefined;
  /** Ignore restored optimizer state. */
  dropsState?: boolean | undefined;
  /** Report itself unavailable. */
  unavailable?: boolean | undefined;
  /** Fill parameters missing from the weights given with fresh values, silently. */
  fillsMissingWeights?: boolean | undefined;
}

/** The float64 reference backend with one deliberate fault, to show which checks catch it. */
export function brokenBackend(breakage: Breakage): Backend {
  const inner = createReferenceBackend();
  return {
    ...inner,
    name: 'broken',
    probe: async () => (breakage.unavailable ? { available: false, reasons: ['no engine in this test'] } : inner.probe()),
    async createModel(spec, weights, options) {
      const filled =
        breakage.fillsMissingWeights && weights ? new Map([...initializeWeights(spec, createRng(options?.seed ?? 0)), ...weights]) : weights;
      const model = await inner.createModel(breakage.computes ? validateSpec(breakage.computes(spec)) : spec, filled, options);
      const broken: Model = {
        spec: validateSpec(spec),
        engine: 'broken/float64',
        parameters: () => model.parameters(),
        getWeights: () => model.getWeights(),
        setWeights: (w) => model.setWeights(w),
        predict: async (x, size) => (breakage.predict ?? ((y) => y))(await model.predict(x, size)),
        trainer(trainerOptions) {
          const trainer = model.trainer(trainerOptions);
          const step: Trainer['step'] = (batch, options) => (breakage.step ? breakage.step(trainer.step.bind(trainer), model, batch, options) : trainer.step(batch, options));
          return {
            ...trainer,
            step,
            ...(breakage.stepMany ? { stepMany: (batches: readonly Batch[], lrScales: readonly number[]) => breakage.stepMany!(step, batches, lrScales) } : {}),
            evaluate: (batch) => trainer.evaluate(batch),
            getState: () => trainer.getState(),
            setState: async (state: NamedTensors) => (breakage.dropsState ? undefined : trainer.setState(state)),
            dispose: () => trainer.dispose(),
          };
        },
        dispose: () => model.dispose(),
      };
      return broken;
    },
  };
}

/** Add `amount` to every batch-norm moving mean of the model. */
export async function nudgeMovingMeans(model: Model, amount: number): Promise<void> {
  const weights = await model.getWeights();
  const nudged: NamedTensors = new Map();
  for (const [name, t] of weights) if (name.endsWith('.movingMean')) nudged.set(name, { shape: t.shape, data: t.data.map((v) => v + amount) });
  await model.setWeights(nudged);
}

/** The float64 reference as a backend that runs chains only, refusing graphs as core's `requireChain` words it. */
export function chainOnlyBackend(): Backend {
  const inner = createReferenceBackend();
  return {
    ...inner,
    name: 'chain-only',
    createModel: async (spec, weights, options) => {
      requireChain(validateSpec(spec), 'chain-only');
      return inner.createModel(spec, weights, options);
    },
  };
}
