import type { LossKind, OptimizerConfig, TrainerOptions } from '../backend.js';
import { HeadstartError } from '../errors.js';
import { checkLossOptions } from './loss-options.js';
import { tokenOutputShape } from './token-targets.js';
import { opaqueLayers } from '../spec/layers.js';
import { checkTrainerOptionFields } from './trainer-option-fields.js';
import type { ModelSpec } from '../spec/model-spec.js';
import { outputShape, parameterShapes, type ParameterShape } from '../spec/shapes.js';
import { sizeOf } from '../tensors.js';

/** A parameter the trainer updates, with its group's learning-rate input and weight decay. */
export interface TrainedParameter {
  name: string;
  shape: number[];
  /** Index into {@link TrainingPlan.groups}: the learning rate fed as `lr.<index>`. */
  group: number;
  weightDecay: number;
}

/** What a trainer's options resolve to for one model. */
export interface TrainingPlan {
  /** Trained parameters in layer order. */
  trained: TrainedParameter[];
  /** Learning rate of each group before the schedule's factor, by group index. */
  groupLrs: number[];
  /** Batch-norm layers kept in inference mode: listed as frozen, or with neither gamma nor beta trained. */
  frozenBatchNorm: Set<string>;
  /** Momentum of each batch-norm layer whose statistics update. */
  updatedBatchNorm: Map<string, number>;
}

/**
 * Check and resolve trainer options against a model: which parameters train, in which group, and
 * which batch-norm layers update their statistics. Backends call it from `Model.trainer()` so every
 * backend reads {@link TrainerOptions} the same way.
 * @throws HeadstartError (BAD_INPUT) naming the parameter, group or layer at fault; (NOT_SUPPORTED)
 * for a parameter of an opaque ONNX block, naming its op and node.
 */
export function planTraining(
  spec: ModelSpec,
  options: TrainerOptions,
  params: readonly ParameterShape[] = parameterShapes(spec),
): TrainingPlan {
  checkOptimizer(options.optimizer);
  checkTrainerOptionFields(options);
  if (!LOSSES.includes(options.loss))
    throw new HeadstartError('BAD_INPUT', `loss: unknown loss ${JSON.stringify(options.loss)}; expected one of ${LOSSES.join(', ')}`);
  if (options.lossOptions) checkLossOptions(options.lossOptions, options.loss, sizeOf(outputShape(spec)));
  if (options.loss === 'tokenCrossEntropy') tokenOutputShape(outputShape(spec));
  const byName = new Map(params.map((p) => [p.name, p]));
  const trainedNames = new Set<string>();
  for (const name of options.trainable) {
    const p = byName.get(name);
    if (!p)
      throw new HeadstartError('BAD_INPUT', `trainable: unknown parameter "${name}"; this model has ${[...byName.keys()].join(', ')}`);
    if (p.role === 'statistic')
      throw new HeadstartError('BAD_INPUT', `trainable: "${name}" is a batch-norm statistic; it follows the layer's mode, not gradients`);
    if (p.role === 'graph') throw opaqueTrainingError(spec, p.layer);
    trainedNames.add(name);
  }
  const groupOf = groupsByParameter(options, trainedNames);
  const trained = params
    .filter((p) => trainedNames.has(p.name))
    .map((p) => {
      const group = groupOf.get(p.name);
      if (group === undefined) throw new HeadstartError('BAD_INPUT', `groups: trainable parameter "${p.name}" is in no group`);
      return { name: p.name, shape: [...p.shape], group, weightDecay: options.groups[group]!.weightDecay ?? 0 };
    });
  return { trained, groupLrs: options.groups.map((g) => g.lr), ...batchNormModes(spec, trainedNames, options.frozenBatchNorm ?? []) };
}

/**
 * The error for asking to train an opaque ONNX block: one line naming the op and node that made it
 * opaque, and how to train around it.
 */
export function opaqueTrainingError(spec: ModelSpec, layerName: string): HeadstartError {
  const layer = opaqueLayers(spec.layers).find((l) => l.name === layerName);
  const { op, node, reason } = layer?.unsupported ?? { op: 'unknown', node: 'unknown' };
  return new HeadstartError(
    'NOT_SUPPORTED',
    `cannot train layer "${layerName}": it is an opaque ONNX block (op ${op} at node "${node}"${reason ? `: ${reason}` : ''}) that runs forward only; keep it frozen (--strategy frozen-base, or --freeze '${layerName}.*')`,
  );
}

/** The losses every backend implements ({@link LossKind}). */
const LOSSES: readonly string[] = ['softmaxCrossEntropy', 'mse', 'tokenCrossEntropy'] satisfies LossKind[];

/** The optimizers every backend implements; anything else is refused, never trained as Adam. */
const OPTIMIZER_TYPES: readonly string[] = ['sgd', 'adam', 'adamw'];

function checkOptimizer(config: OptimizerConfig): void {
  if (!OPTIMIZER_TYPES.includes(config.type)) {
    throw new HeadstartError(
      'BAD_INPUT',
      `optimizer.type: unknown optimizer ${JSON.stringify(config.type)}; expected one of ${OPTIMIZER_TYPES.join(', ')}`,
    );
  }
  const bad = (what: string, value: unknown, range: string): never => {
    throw new HeadstartError('BAD_INPUT', `${config.type} ${what} must be ${range}, got ${value}`);
  };
  if (config.type === 'sgd') {
    const momentum = config.momentum ?? 0;
    if (!(momentum >= 0 && momentum < 1)) bad('momentum', momentum, 'in [0, 1)');
    if (config.nesterov && momentum === 0) throw new HeadstartError('BAD_INPUT', 'sgd nesterov needs a momentum > 0');
    return;
  }
  for (const [name, value] of [
    ['beta1', config.beta1 ?? 0.9],
    ['beta2', config.beta2 ?? 0.999],
  ] as const) {
    if (!(value >= 0 && value < 1)) bad(name, value, 'in [0, 1)');
  }
  if (!((config.epsilon ?? 1e-8) > 0)) bad('epsilon', config.epsilon, '> 0');
}

function groupsByParameter(options: TrainerOptions, trained: ReadonlySet<string>): Map<string, number> {
  const groupOf = new Map<string, number>();
  options.groups.forEach((group, index) => {
    if (!(group.lr >= 0)) throw new HeadstartError('BAD_INPUT', `groups: group "${group.name}" lr must be ≥ 0, got ${group.lr}`);
    if (!((group.weightDecay ?? 0) >= 0))
      throw new HeadstartError('BAD_INPUT', `groups: group "${group.name}" weightDecay must be ≥ 0, got ${group.weightDecay}`);
    // A group may list frozen parameters (a schedule unfreezing them later); only trained ones count.
    for (const name of group.params.filter((p) => trained.has(p))) {
      const earlier = groupOf.get(name);
      if (earlier !== undefined)
        throw new HeadstartError(
          'BAD_INPUT',
          `groups: parameter "${name}" is in both "${options.groups[earlier]!.name}" and "${group.name}"`,
        );
      groupOf.set(name, index);
    }
  });
  return groupOf;
}

function batchNormModes(
  spec: ModelSpec,
  trained: ReadonlySet<string>,
  listed: readonly string[],
): Pick<TrainingPlan, 'frozenBatchNorm' | 'updatedBatchNorm'> {
  const layers = spec.layers.flatMap((layer) => (layer.type === 'batchNorm' ? [layer] : []));
  const unknown = listed.filter((name) => !layers.some((layer) => layer.name === name));
  if (unknown.length > 0) {
    throw new HeadstartError(
      'BAD_INPUT',
      `frozenBatchNorm: ${unknown.map((n) => `"${n}"`).join(', ')} is not a batch-norm layer of this model (it has ${layers.map((l) => l.name).join(', ') || 'none'})`,
    );
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
