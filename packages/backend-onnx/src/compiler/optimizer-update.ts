import type { OptimizerConfig } from '@headstart/core';
import { int } from '../onnx/attributes.js';
import type { GraphBuilder } from './graph-builder.js';
import { DataType } from '../onnx/onnx-proto.js';

/** The state slots an optimizer keeps per parameter (`optim.<slot>.<param>`). */
export function optimizerSlots(config: OptimizerConfig): string[] {
  if (config.type === 'sgd') return (config.momentum ?? 0) > 0 ? ['momentum'] : [];
  return ['m', 'v'];
}

/** One parameter's update inputs, as graph values. */
export interface ParameterUpdate {
  param: string;
  grad: string;
  /** The group's learning rate (schedule applied), a scalar. */
  lr: string;
  weightDecay: number;
  slots: Map<string, string>;
}

/** The updated parameter and slots, as graph values. */
export interface UpdatedParameter {
  param: string;
  slots: Map<string, string>;
}

/**
 * Emits optimizer updates, PyTorch's arithmetic (`torch.optim.SGD`, `Adam`, `AdamW`). Scalars that
 * depend only on the step or a group's learning rate are emitted once and shared.
 */
export class OptimizerEmitter {
  private readonly shared = new Map<string, string>();

  /** @param step the 1-based number of the step being taken, a float scalar value. */
  constructor(
    private readonly b: GraphBuilder,
    private readonly config: OptimizerConfig,
    private readonly step: string,
  ) {}

  /** Emit one parameter's update. */
  update(u: ParameterUpdate): UpdatedParameter {
    return this.config.type === 'sgd' ? this.sgd(u, this.config.momentum ?? 0, this.config.nesterov ?? false) : this.adam(u);
  }

  /** `g += wd·w; buf = μ·buf + g; d = nesterov ? g + μ·buf : buf; w -= lr·d` (a zero buffer gives PyTorch's first step). */
  private sgd(u: ParameterUpdate, momentum: number, nesterov: boolean): UpdatedParameter {
    const b = this.b;
    const g = u.weightDecay > 0 ? b.binary('Add', u.grad, b.binary('Mul', u.param, b.scalar(u.weightDecay))) : u.grad;
    const slots = new Map<string, string>();
    let direction = g;
    const buffer = u.slots.get('momentum');
    if (buffer !== undefined) {
      const next = b.binary('Add', b.binary('Mul', buffer, b.scalar(momentum)), g);
      slots.set('momentum', next);
      direction = nesterov ? b.binary('Add', g, b.binary('Mul', next, b.scalar(momentum))) : next;
    }
    return { param: b.binary('Sub', u.param, b.binary('Mul', direction, u.lr)), slots };
  }

  /**
   * Adam: `m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²; w -= lr/(1−β₁ᵗ) · m/(√v/√(1−β₂ᵗ) + ε)`. Adam's
   * weight decay is L2 added to the gradient; AdamW's is decoupled, `w ·= 1 − lr·wd` first.
   * Written as `w -= (lr·√c₂/c₁) · m/(√v + ε·√c₂)` (the same value) to spend one pass less over the
   * parameters: the factors in front are scalars.
   */
  private adam(u: ParameterUpdate): UpdatedParameter {
    const b = this.b;
    const config = this.config as Extract<OptimizerConfig, { type: 'adam' | 'adamw' }>;
    const [beta1, beta2] = [config.beta1 ?? 0.9, config.beta2 ?? 0.999];
    const decoupled = config.type === 'adamw';
    const g = u.weightDecay > 0 && !decoupled ? b.binary('Add', u.grad, b.binary('Mul', u.param, b.scalar(u.weightDecay))) : u.grad;
    const m = b.binary('Add', b.binary('Mul', u.slots.get('m')!, b.scalar(beta1)), b.binary('Mul', g, b.scalar(1 - beta1)));
    const v = b.binary(
      'Add',
      b.binary('Mul', u.slots.get('v')!, b.scalar(beta2)),
      b.binary('Mul', b.binary('Mul', g, b.scalar(1 - beta2)), g),
    );
    const { stepSize, scaledEpsilon } = this.adamScalars(u.lr);
    const denominator = b.binary('Add', b.unary('Sqrt', v), scaledEpsilon);
    const base =
      decoupled && u.weightDecay > 0
        ? b.binary('Mul', u.param, b.binary('Sub', b.scalar(1), b.binary('Mul', u.lr, b.scalar(u.weightDecay))))
        : u.param;
    const param = b.binary('Sub', base, b.binary('Mul', b.binary('Div', m, denominator), stepSize));
    return {
      param,
      slots: new Map([
        ['m', m],
        ['v', v],
      ]),
    };
  }

  /**
   * Adam's scalars for a group's learning rate `lr` (emitted once and shared): the step size
   * `lr·√(1−β₂ᵗ)/(1−β₁ᵗ)` and the scaled epsilon `ε·√(1−β₂ᵗ)`. A graph that leaves the update to
   * AdamKernel outputs these, so the kernel uses the very values the in-graph update would.
   */
  adamScalars(lr: string): { stepSize: string; scaledEpsilon: string } {
    const b = this.b;
    const config = this.config as Extract<OptimizerConfig, { type: 'adam' | 'adamw' }>;
    const [beta1, beta2, epsilon] = [config.beta1 ?? 0.9, config.beta2 ?? 0.999, config.epsilon ?? 1e-8];
    const sqrtCorrection2 = this.once(`sc:${beta2}`, () => b.unary('Sqrt', this.correction(beta2)));
    const scaledEpsilon = this.once(`eps:${beta2}:${epsilon}`, () => b.binary('Mul', sqrtCorrection2, b.scalar(epsilon)));
    const stepSize = this.once(`step:${lr}:${beta1}:${beta2}`, () =>
      b.binary('Div', b.binary('Mul', lr, sqrtCorrection2), this.correction(beta1)),
    );
    return { stepSize, scaledEpsilon };
  }

  /** 1 − βᵗ, computed in float64: in float32, 1 − 0.999 would lose five digits. */
  private correction(beta: number): string {
    return this.once(`c:${beta}`, () => {
      const b = this.b;
      const step64 = this.once('step64', () => b.op('Cast', [this.step], { to: int(DataType.DOUBLE) }, [], 'step64', 'float64'));
      const power = b.op('Pow', [b.scalar64(beta), step64], {}, [], 'beta_pow', 'float64');
      const correction = b.op('Sub', [b.scalar64(1), power], {}, [], 'correction', 'float64');
      return b.op('Cast', [correction], { to: int(DataType.FLOAT) }, [], 'correction32');
    });
  }

  private once(key: string, make: () => string): string {
    let value = this.shared.get(key);
    if (value === undefined) this.shared.set(key, (value = make()));
    return value;
  }
}
