import type { OptimizerConfig } from '@headstart/core';

/** The slots an optimizer keeps per parameter, as named in `optim.<slot>.<param>`. */
export function slotNames(config: OptimizerConfig): string[] {
  if (config.type === 'sgd') return (config.momentum ?? 0) > 0 ? ['momentum'] : [];
  return ['m', 'v'];
}

/** One trained parameter at one step, as {@link applyUpdate} changes it. */
export interface ParameterUpdate {
  /** The parameter, updated in place. */
  weights: Float32Array;
  gradient: Float64Array;
  /** This step's learning rate: the group's, times the schedule's factor. */
  lr: number;
  weightDecay: number;
  /** Its slots by name (see {@link slotNames}), updated in place. */
  slots: ReadonlyMap<string, Float32Array>;
}

/**
 * PyTorch's update rules at step `t` (1-based), computed in float64 and stored in float32:
 * - SGD: `g += wd·w; buf = μ·buf + g; g = nesterov ? g + μ·buf : buf; w −= lr·g`;
 * - Adam: `g += wd·w; m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²; w −= lr/(1−β₁ᵗ) · m/(√v/√(1−β₂ᵗ) + ε)`;
 * - AdamW: as Adam without the `wd·w` term, and `w ·= 1 − lr·wd` first (decoupled decay).
 */
export function applyUpdate(config: OptimizerConfig, p: ParameterUpdate, t: number): void {
  const { weights: w, gradient, lr, weightDecay } = p;
  if (config.type === 'sgd') {
    const momentum = config.momentum ?? 0;
    const buffer = p.slots.get('momentum');
    for (let i = 0; i < w.length; i++) {
      let g = gradient[i]! + weightDecay * w[i]!;
      if (buffer) {
        const b = momentum * buffer[i]! + g;
        buffer[i] = b;
        g = config.nesterov ? g + momentum * b : b;
      }
      w[i] = w[i]! - lr * g;
    }
    return;
  }
  const [beta1, beta2, epsilon] = [config.beta1 ?? 0.9, config.beta2 ?? 0.999, config.epsilon ?? 1e-8];
  const [m, v] = [p.slots.get('m')!, p.slots.get('v')!];
  const decoupled = config.type === 'adamw';
  const stepSize = lr / (1 - beta1 ** t);
  const varianceCorrection = Math.sqrt(1 - beta2 ** t);
  for (let i = 0; i < w.length; i++) {
    let weight = w[i]!;
    const g = gradient[i]! + (decoupled ? 0 : weightDecay * weight);
    if (decoupled) weight *= 1 - lr * weightDecay;
    const mi = beta1 * m[i]! + (1 - beta1) * g;
    const vi = beta2 * v[i]! + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    w[i] = weight - stepSize * (mi / (Math.sqrt(vi) / varianceCorrection + epsilon));
  }
}
