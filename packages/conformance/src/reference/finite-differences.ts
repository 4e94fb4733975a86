import type { Weights64 } from './forward.js';

/**
 * Step of the central differences. In float64 it leaves an error near 1e-9 on gradients of order one
 * (truncation ~h², rounding ~1e-16/h), and is small enough that a step rarely crosses a kink of relu
 * or a tie of max pooling in these small, seeded models.
 */
export const FINITE_DIFFERENCE_STEP = 1e-6;

/**
 * Gradients of `loss` with respect to the named parameters by central differences:
 * `(loss(w + h) − loss(w − h)) / 2h`, one element at a time. `weights` is perturbed in place and
 * restored. No backprop to get wrong, so a backend's gradients are checked against the definition.
 */
export function finiteDifferenceGradients(
  loss: () => number,
  weights: Weights64,
  names: readonly string[],
  step = FINITE_DIFFERENCE_STEP,
): Map<string, Float64Array> {
  const gradients = new Map<string, Float64Array>();
  for (const name of names) {
    const w = weights.get(name);
    if (!w) throw new Error(`float64 reference: no weights for "${name}"`);
    const gradient = new Float64Array(w.length);
    for (let i = 0; i < w.length; i++) {
      const original = w[i]!;
      w[i] = original + step;
      const above = loss();
      w[i] = original - step;
      const below = loss();
      w[i] = original;
      gradient[i] = (above - below) / (2 * step);
    }
    gradients.set(name, gradient);
  }
  return gradients;
}
