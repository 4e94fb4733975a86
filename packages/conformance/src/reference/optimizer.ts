import type { OptimizerConfig } from '@headstart/core';

/** The optimizer slots a config keeps per parameter, as named in `optim.<slot>.<param>`. */
export function slotNames(config: OptimizerConfig): string[] {
  if (config.type === 'sgd') return (config.momentum ?? 0) > 0 ? ['momentum'] : [];
  return ['m', 'v'];
}

/** One parameter as the reference optimizer updates it. */
export interface OptimizedValue {
  /** The parameter's values, updated in place. */
  value: Float64Array;
  gradient: Float64Array;
  /** Learning rate of this step (the group's, times the schedule's factor). */
  lr: number;
  weightDecay: number;
  /** Slots by name (see {@link slotNames}), updated in place. */
  slots: Map<string, Float64Array>;
}

/**
 * PyTorch's update rules, which both built-in backends follow, at step `t` (1-based):
 * - SGD: `g += wd·w; buf = μ·buf + g; g = nesterov ? g + μ·buf : buf; w −= lr·g` (a zero buffer
 *   makes the first step `buf = g`);
 * - Adam: `g += wd·w; m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²; w −= lr/(1−β₁ᵗ) · m/(√v/√(1−β₂ᵗ) + ε)`;
 * - AdamW: as Adam, but the decay is decoupled: `w −= lr·wd·w` before the update.
 */
export function applyUpdate(config: OptimizerConfig, p: OptimizedValue, t: number): void {
  const { value: w, gradient, lr, weightDecay } = p;
  if (config.type === 'sgd') {
    const momentum = config.momentum ?? 0;
    const buffer = p.slots.get('momentum');
    for (let i = 0; i < w.length; i++) {
      let g = gradient[i]! + weightDecay * w[i]!;
      if (buffer) {
        buffer[i] = momentum * buffer[i]! + g;
        g = config.nesterov ? g + momentum * buffer[i]! : buffer[i]!;
      }
      w[i]! -= lr * g;
    }
    return;
  }
  const [beta1, beta2, epsilon] = [config.beta1 ?? 0.9, config.beta2 ?? 0.999, config.epsilon ?? 1e-8];
  const [m, v] = [p.slots.get('m')!, p.slots.get('v')!];
  const decoupled = config.type === 'adamw';
  for (let i = 0; i < w.length; i++) {
    const g = gradient[i]! + (decoupled ? 0 : weightDecay * w[i]!);
    if (decoupled) w[i]! *= 1 - lr * weightDecay;
    m[i] = beta1 * m[i]! + (1 - beta1) * g;
    v[i] = beta2 * v[i]! + (1 - beta2) * g * g;
    w[i]! -= (lr / (1 - beta1 ** t)) * (m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(1 - beta2 ** t) + epsilon));
  }
}
