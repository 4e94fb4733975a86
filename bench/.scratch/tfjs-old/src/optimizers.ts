import { HeadstartError, sameShape, type NamedTensors, type OptimizerConfig } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import { copyOut, toTensor, variableFrom } from './parameters.js';

/** One trained parameter as the optimizer sees it. */
export interface OptimizedParameter {
  name: string;
  variable: tf.Variable;
  /** The group's learning rate, before the schedule's factor. */
  lr: number;
  /** L2 (SGD, Adam) or decoupled (AdamW) weight decay. */
  weightDecay: number;
}

/**
 * An optimizer written with tf ops rather than tf.train's, so its state is plain named tensors that
 * go into checkpoints, and its arithmetic follows PyTorch's (`torch.optim.SGD`, `Adam`, `AdamW`).
 */
export interface Optimizer {
  /** Steps taken so far (restored by {@link setState}). */
  readonly steps: number;
  /**
   * Update every parameter that has a gradient; one without stays untouched. `grads` is keyed by
   * tf variable name, as `tf.variableGrads` returns it. Call inside tf.tidy.
   */
  apply(grads: tf.NamedTensorMap, lrScale: number): void;
  /** `optim.<slot>.<param>` tensors plus `optim.step` (`[1]`). */
  getState(): NamedTensors;
  /** Restore {@link getState}'s tensors. @throws HeadstartError when a slot is missing or mis-shaped. */
  setState(state: NamedTensors): void;
  dispose(): void;
}

/** A parameter with its optimizer slots. */
interface SlottedParameter extends OptimizedParameter {
  slots: Map<string, tf.Variable>;
}

/** How one optimizer type updates one parameter at step `step` (1-based) with learning rate `lr`. */
interface UpdateRule {
  slots: string[];
  update(p: SlottedParameter, grad: tf.Tensor, lr: number, step: number): void;
}

/** An optimizer for `params` as `config` describes. @throws HeadstartError on invalid hyper-parameters. */
export function createOptimizer(config: OptimizerConfig, params: OptimizedParameter[]): Optimizer {
  return new SlotOptimizer(ruleFor(config), params);
}

function ruleFor(config: OptimizerConfig): UpdateRule {
  if (config.type === 'sgd') return sgdRule(config.momentum ?? 0, config.nesterov ?? false);
  const beta1 = config.beta1 ?? 0.9;
  const beta2 = config.beta2 ?? 0.999;
  const epsilon = config.epsilon ?? 1e-8;
  for (const [name, value] of [['beta1', beta1], ['beta2', beta2]] as const) {
    if (!(value >= 0 && value < 1)) throw new HeadstartError('BAD_INPUT', `${config.type} ${name} must be in [0, 1), got ${value}`);
  }
  if (!(epsilon > 0)) throw new HeadstartError('BAD_INPUT', `${config.type} epsilon must be > 0, got ${epsilon}`);
  return adamRule(beta1, beta2, epsilon, config.type === 'adamw');
}

/** PyTorch SGD: `g += wd·w; buf = μ·buf + g; g = nesterov ? g + μ·buf : buf; w -= lr·g`. */
function sgdRule(momentum: number, nesterov: boolean): UpdateRule {
  if (!(momentum >= 0 && momentum < 1)) throw new HeadstartError('BAD_INPUT', `sgd momentum must be in [0, 1), got ${momentum}`);
  if (nesterov && momentum === 0) throw new HeadstartError('BAD_INPUT', 'sgd nesterov needs a momentum > 0');
  return {
    // A zero buffer gives exactly PyTorch's first step (buf = g), so no special case is needed.
    slots: momentum > 0 ? ['momentum'] : [],
    update(p, grad, lr) {
      let g = p.weightDecay ? tf.add(grad, tf.mul(p.variable, p.weightDecay)) : grad;
      const buffer = p.slots.get('momentum');
      if (buffer) {
        const next = tf.add(tf.mul(buffer, momentum), g);
        buffer.assign(next);
        g = nesterov ? tf.add(g, tf.mul(next, momentum)) : next;
      }
      p.variable.assign(tf.sub(p.variable, tf.mul(g, lr)));
    },
  };
}

/**
 * PyTorch Adam/AdamW: `m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²;
 * w -= lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)`. Adam's weight decay is L2 added to the gradient; AdamW's
 * is decoupled, `w -= lr·wd·w` before the update.
 */
function adamRule(beta1: number, beta2: number, epsilon: number, decoupled: boolean): UpdateRule {
  return {
    slots: ['m', 'v'],
    update(p, grad, lr, step) {
      const m = p.slots.get('m')!;
      const v = p.slots.get('v')!;
      let g = grad;
      if (p.weightDecay && decoupled) p.variable.assign(tf.mul(p.variable, 1 - lr * p.weightDecay));
      else if (p.weightDecay) g = tf.add(grad, tf.mul(p.variable, p.weightDecay));
      m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
      v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
      const denominator = tf.add(tf.div(tf.sqrt(v), Math.sqrt(1 - beta2 ** step)), epsilon);
      const stepSize = lr / (1 - beta1 ** step);
      p.variable.assign(tf.sub(p.variable, tf.mul(tf.div(m, denominator), stepSize)));
    },
  };
}

class SlotOptimizer implements Optimizer {
  steps = 0;
  private readonly params: SlottedParameter[];

  constructor(private readonly rule: UpdateRule, params: OptimizedParameter[]) {
    this.params = params.map((p) => ({
      ...p,
      slots: new Map(rule.slots.map((slot) => [slot, variableFrom(tf.zerosLike(p.variable), false)])),
    }));
  }

  apply(grads: tf.NamedTensorMap, lrScale: number): void {
    this.steps++;
    for (const p of this.params) {
      const grad = grads[p.variable.name];
      if (grad) this.rule.update(p, grad, p.lr * lrScale, this.steps);
    }
  }

  getState(): NamedTensors {
    const state: NamedTensors = new Map();
    for (const slot of this.rule.slots) {
      for (const p of this.params) state.set(`optim.${slot}.${p.name}`, { shape: [...p.variable.shape], data: copyOut(p.slots.get(slot)!) });
    }
    state.set('optim.step', { shape: [1], data: Float32Array.of(this.steps) });
    return state;
  }

  setState(state: NamedTensors): void {
    const step = state.get('optim.step');
    if (!step || step.data.length !== 1 || !Number.isInteger(step.data[0]) || step.data[0]! < 0) {
      throw new HeadstartError('BAD_INPUT', 'optimizer state: optim.step must be one non-negative integer');
    }
    const writes = this.params.flatMap((p) => [...p.slots].map(([slot, variable]) => ({ variable, value: slotValue(state, slot, p) })));
    const expected = new Set(['optim.step', ...this.params.flatMap((p) => [...p.slots.keys()].map((slot) => `optim.${slot}.${p.name}`))]);
    const unknown = [...state.keys()].filter((name) => name.startsWith('optim.') && !expected.has(name));
    if (unknown.length > 0) throw new HeadstartError('BAD_INPUT', `optimizer state: ${unknown.join(', ')} not used by this optimizer and parameter set`);
    for (const { variable, value } of writes) {
      const tensor = toTensor(value);
      variable.assign(tensor);
      tensor.dispose();
    }
    this.steps = step.data[0]!;
  }

  dispose(): void {
    for (const p of this.params) {
      for (const variable of p.slots.values()) variable.dispose();
      p.slots.clear();
    }
  }
}

function slotValue(state: NamedTensors, slot: string, p: SlottedParameter): { shape: number[]; data: Float32Array } {
  const name = `optim.${slot}.${p.name}`;
  const value = state.get(name);
  if (!value) throw new HeadstartError('BAD_INPUT', `optimizer state: ${name} is missing`);
  if (!sameShape(value.shape, p.variable.shape) || value.data.length !== p.variable.size) {
    throw new HeadstartError('BAD_INPUT', `optimizer state: ${name} has shape [${value.shape}], expected [${p.variable.shape}]`);
  }
  return value;
}
