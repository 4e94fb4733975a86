import type { ModelSpec, TrainerOptions } from '@headstart/core';
import { planTraining as planWithCore, type TrainingPlan as CorePlan } from '@headstart/core/backend-kit';
import type * as tf from '@tensorflow/tfjs';
import type { OptimizedParameter } from './optimizers.js';
import type { ParameterStore } from './parameters.js';

/** Core's resolution of trainer options, with the tf.Variables it names. */
export interface TrainingPlan extends Pick<CorePlan, 'frozenBatchNorm' | 'updatedBatchNorm'> {
  /** The trained parameters with their group's learning rate and weight decay, in layer order. */
  optimized: OptimizedParameter[];
  /** The trained variables by parameter name. */
  trained: Map<string, tf.Variable>;
}

/**
 * Check and resolve trainer options against a model (core's `planTraining`), then attach the
 * variables. @throws HeadstartError (BAD_INPUT) naming the parameter, group or layer at fault.
 */
export function planTraining(spec: ModelSpec, params: ParameterStore, options: TrainerOptions): TrainingPlan {
  const plan = planWithCore(spec, options, params.shapes);
  const optimized = plan.trained.map((p) => ({
    name: p.name,
    variable: params.get(p.name),
    lr: plan.groupLrs[p.group]!,
    weightDecay: p.weightDecay,
  }));
  return {
    optimized,
    trained: new Map(optimized.map((p) => [p.name, p.variable])),
    frozenBatchNorm: plan.frozenBatchNorm,
    updatedBatchNorm: plan.updatedBatchNorm,
  };
}
