import { HeadstartError, stackSpecs, type Model, type NamedTensors } from '@headstart/core';

/**
 * Two live models as one: `lower` (frozen) feeding `upper` (trained). Greedy pre-training trains
 * `upper` on features `lower` computed once, but hands this stack to `ctx.fit`, so the resumable
 * checkpoint holds the frozen layers too — they are the product of earlier phases and exist
 * nowhere else. The stack owns both models: disposing it disposes them.
 */
export function frozenStack(lower: Model, upper: Model): Model {
  const spec = stackSpecs(lower.spec, upper.spec, 'frozen stack');
  const lowerNames = new Set(lower.parameters().map((p) => p.name));
  const part = (weights: NamedTensors, inLower: boolean): NamedTensors =>
    new Map([...weights].filter(([name]) => lowerNames.has(name) === inLower));
  return {
    spec,
    trainingInputShape: upper.spec.inputShape,
    engine: upper.engine,
    parameters: () => [...lower.parameters(), ...upper.parameters()],
    getWeights: async () => new Map([...(await lower.getWeights()), ...(await upper.getWeights())]),
    async setWeights(weights) {
      const [below, above] = [part(weights, true), part(weights, false)];
      if (below.size > 0) await lower.setWeights(below);
      if (above.size > 0) await upper.setWeights(above);
    },
    predict: async (x, size) => upper.predict(await lower.predict(x, size), size),
    trainer(options) {
      const frozen = options.trainable.filter((name) => lowerNames.has(name));
      if (frozen.length > 0) throw new HeadstartError('USAGE', `the frozen part of a stack cannot train (${frozen.join(', ')})`);
      return upper.trainer(options);
    },
    dispose() {
      upper.dispose();
      lower.dispose();
    },
  };
}
