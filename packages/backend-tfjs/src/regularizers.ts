import { HeadstartError, type NamedTensors } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import { checkTensor, toTensor } from './parameters.js';

/**
 * L2-SP: `weight/2 · Σ‖w − w₀‖²` over the trained parameters that have a reference value, pulling a
 * fine-tuned model towards its starting point instead of towards zero.
 */
export class L2SpPenalty {
  private readonly pairs: { variable: tf.Variable; reference: tf.Tensor }[] = [];

  /**
   * @param trained the trained parameters by name.
   * @throws HeadstartError when a reference's shape does not match its parameter.
   */
  constructor(
    private readonly weight: number,
    reference: NamedTensors,
    trained: ReadonlyMap<string, tf.Variable>,
  ) {
    if (!(weight >= 0)) throw new HeadstartError('BAD_INPUT', `l2sp weight must be ≥ 0, got ${weight}`);
    for (const [name, variable] of trained) {
      const value = reference.get(name);
      if (!value) continue;
      checkTensor(`l2sp reference "${name}"`, variable.shape, value);
      this.pairs.push({ variable, reference: toTensor(value) });
    }
  }

  /** The penalty as a differentiable scalar (call inside tf.tidy), or undefined when it is zero by construction. */
  value(): tf.Scalar | undefined {
    if (this.weight === 0 || this.pairs.length === 0) return undefined;
    const sums = this.pairs.map(({ variable, reference }) => tf.sum(tf.squaredDifference(variable, reference)));
    return tf.mul(tf.addN(sums), this.weight / 2) as tf.Scalar;
  }

  dispose(): void {
    for (const { reference } of this.pairs.splice(0)) reference.dispose();
  }
}
