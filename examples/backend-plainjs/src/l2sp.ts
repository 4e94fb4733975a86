import type { NamedTensors } from '@headstart/core';

/**
 * L2-SP, `weight/2 · Σ‖w − w₀‖²` over the trained parameters that have a reference `w₀`: adds its
 * gradient to `gradients` and returns its value (part of the step's loss).
 */
export function addL2sp(
  l2sp: { weight: number; reference: NamedTensors },
  weights: (name: string) => Float32Array,
  gradients: ReadonlyMap<string, Float64Array>,
): number {
  let penalty = 0;
  for (const [name, gradient] of gradients) {
    const reference = l2sp.reference.get(name)?.data;
    if (!reference) continue;
    const w = weights(name);
    for (let i = 0; i < w.length; i++) {
      const diff = w[i]! - reference[i]!;
      penalty += (l2sp.weight / 2) * diff * diff;
      gradient[i]! += l2sp.weight * diff;
    }
  }
  return penalty;
}
