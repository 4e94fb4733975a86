import type { OptimizerConfig } from '@headstart/core';

/** One parameter as the reference optimizer sees it. */
export interface RefParam {
  w: Float64Array;
  lr: number;
  weightDecay: number;
  slots: Map<string, Float64Array>;
}

/** PyTorch's SGD/Adam/AdamW update in float64, step `t` (1-based). Mutates `p`. */
export function refUpdate(config: OptimizerConfig, p: RefParam, grad: Float64Array, t: number): void {
  const slot = (name: string): Float64Array => {
    let s = p.slots.get(name);
    if (!s) p.slots.set(name, (s = new Float64Array(p.w.length)));
    return s;
  };
  if (config.type === 'sgd') {
    const momentum = config.momentum ?? 0;
    for (let i = 0; i < p.w.length; i++) {
      let g = grad[i]! + p.weightDecay * p.w[i]!;
      if (momentum > 0) {
        const buf = slot('momentum');
        buf[i] = momentum * buf[i]! + g;
        g = config.nesterov ? g + momentum * buf[i]! : buf[i]!;
      }
      p.w[i]! -= p.lr * g;
    }
    return;
  }
  const [b1, b2, eps] = [config.beta1 ?? 0.9, config.beta2 ?? 0.999, config.epsilon ?? 1e-8];
  const [m, v] = [slot('m'), slot('v')];
  const decoupled = config.type === 'adamw';
  for (let i = 0; i < p.w.length; i++) {
    const g = grad[i]! + (decoupled ? 0 : p.weightDecay * p.w[i]!);
    if (decoupled) p.w[i]! *= 1 - p.lr * p.weightDecay;
    m[i] = b1 * m[i]! + (1 - b1) * g;
    v[i] = b2 * v[i]! + (1 - b2) * g * g;
    const denom = Math.sqrt(v[i]!) / Math.sqrt(1 - b2 ** t) + eps;
    p.w[i]! -= (p.lr / (1 - b1 ** t)) * (m[i]! / denom);
  }
}
