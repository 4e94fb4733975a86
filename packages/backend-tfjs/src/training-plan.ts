import { HeadstartError, type ModelSpec, type TrainerOptions } from '@headstart/core';
import type * as tf from '@tensorflow/tfjs';
import type { OptimizedParameter } from './optimizers.js';
import type { ParameterStore } from './parameters.js';

/** What a trainer's options resolve to for one model. */
export interface TrainingPlan {
  /** The trained parameters with their group's learning rate and weight decay, in layer order. */
  optimized: OptimizedParameter[];
  /** The trained variables by parameter name. */
  trained: Map<string, tf.Variable>;
  /** Batch-norm layers kept in inference mode: listed as frozen, or with neither gamma nor beta trained. */
  frozenBatchNorm: Set<string>;
  /** Momentum of each batch-norm layer whose statistics do update. */
  updatedBatchNorm: Map<string, number>;
}

/**
 * Check and resolve trainer options against a model.
 * @throws HeadstartError (BAD_INPUT) naming the parameter, group or layer at fault.
 */
export function planTraining(spec: ModelSpec, params: ParameterStore, options: TrainerOptions): TrainingPlan {
  const trained = new Map<string, tf.Variable>();
  for (const name of options.trainable) {
    const shape = params.shapeOf(name);
    if (!shape) throw new HeadstartError('BAD_INPUT', `trainable: unknown parameter "${name}"; this model has ${params.names().join(', ')}`);
    if (shape.role === 'statistic') throw new HeadstartError('BAD_INPUT', `trainable: "${name}" is a batch-norm statistic; it follows the layer's mode, not gradients`);
    trained.set(name, params.get(name));
  }
  const groupOf = groupsByParameter(options, trained);
  const optimized = params.names().filter((name) => trained.has(name)).map((name) => {
    const group = groupOf.get(name);
    if (!group) throw new HeadstartError('BAD_INPUT', `groups: trainable parameter "${name}" is in no group`);
    return { name, variable: trained.get(name)!, lr: group.lr, weightDecay: group.weightDecay ?? 0 };
  });
  return { optimized, trained, ...batchNormModes(spec, trained, options.frozenBatchNorm ?? []) };
}

function groupsByParameter(options: TrainerOptions, trained: Map<string, tf.Variable>): Map<string, TrainerOptions['groups'][number]> {
  const groupOf = new Map<string, TrainerOptions['groups'][number]>();
  for (const group of options.groups) {
    if (!(group.lr >= 0)) throw new HeadstartError('BAD_INPUT', `groups: group "${group.name}" lr must be ≥ 0, got ${group.lr}`);
    if (!((group.weightDecay ?? 0) >= 0)) throw new HeadstartError('BAD_INPUT', `groups: group "${group.name}" weightDecay must be ≥ 0, got ${group.weightDecay}`);
    // A group may list frozen parameters (a schedule unfreezing them later); only trained ones count.
    for (const name of group.params.filter((p) => trained.has(p))) {
      const earlier = groupOf.get(name);
      if (earlier) throw new HeadstartError('BAD_INPUT', `groups: parameter "${name}" is in both "${earlier.name}" and "${group.name}"`);
      groupOf.set(name, group);
    }
  }
  return groupOf;
}

function batchNormModes(spec: ModelSpec, trained: Map<string, tf.Variable>, listed: string[]): Pick<TrainingPlan, 'frozenBatchNorm' | 'updatedBatchNorm'> {
  const layers = spec.layers.flatMap((layer) => (layer.type === 'batchNorm' ? [layer] : []));
  const unknown = listed.filter((name) => !layers.some((layer) => layer.name === name));
  if (unknown.length > 0) {
    throw new HeadstartError('BAD_INPUT', `frozenBatchNorm: ${unknown.map((n) => `"${n}"`).join(', ')} is not a batch-norm layer of this model (it has ${layers.map((l) => l.name).join(', ') || 'none'})`);
  }
  const frozenBatchNorm = new Set<string>();
  const updatedBatchNorm = new Map<string, number>();
  for (const layer of layers) {
    const learns = trained.has(`${layer.name}.gamma`) || trained.has(`${layer.name}.beta`);
    if (listed.includes(layer.name) || !learns) frozenBatchNorm.add(layer.name);
    else updatedBatchNorm.set(layer.name, layer.momentum);
  }
  return { frozenBatchNorm, updatedBatchNorm };
}
