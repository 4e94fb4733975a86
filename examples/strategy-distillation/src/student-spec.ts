import { validateSpec, type LayerInput, type ModelSpec } from '@headstart/core';

/**
 * The student: an MLP of `units` ReLU layers and a softmax head over `classes`, reading samples of
 * `sampleShape` (flattened first when they are not flat).
 */
export function studentSpec(sampleShape: readonly number[], units: readonly number[], classes: number): ModelSpec {
  const layers: LayerInput[] = [
    ...(sampleShape.length === 1 ? [] : [{ type: 'flatten', name: 'flatten' } as const]),
    ...units.map((n, i) => ({ type: 'dense', name: `s${i + 1}`, units: n, activation: 'relu' }) as const),
    { type: 'dense', name: 'head', units: classes, activation: 'softmax' },
  ];
  return validateSpec({ inputShape: [...sampleShape], layers }, 'student');
}
