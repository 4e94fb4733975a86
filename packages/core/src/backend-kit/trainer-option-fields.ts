import type { OptimizerConfig, ParameterGroup, TrainerOptions } from '../backend.js';
import { HeadstartError } from '../errors.js';

// Typed as records of every key, so a field added to the interfaces fails to compile until it is listed here.
const TRAINER_FIELDS = {
  trainable: true,
  groups: true,
  optimizer: true,
  loss: true,
  lossOptions: true,
  frozenBatchNorm: true,
  l2sp: true,
  seed: true,
} satisfies Record<keyof TrainerOptions, true>;
const GROUP_FIELDS = { name: true, params: true, lr: true, weightDecay: true } satisfies Record<keyof ParameterGroup, true>;
const SGD_FIELDS = { type: true, momentum: true, nesterov: true } satisfies Record<keyof Extract<OptimizerConfig, { type: 'sgd' }>, true>;
const ADAM_FIELDS = { type: true, beta1: true, beta2: true, epsilon: true } satisfies Record<
  keyof Extract<OptimizerConfig, { type: 'adam' }>,
  true
>;

/**
 * Refuse fields {@link TrainerOptions} does not have (a misspelt `frozenBatchnorm`, an optimizer's
 * `beta_1`), which would otherwise be ignored and train something other than what was asked.
 * @throws HeadstartError (BAD_INPUT) naming the field and listing the valid ones.
 */
export function checkTrainerOptionFields(options: TrainerOptions): void {
  refuseUnknown('trainer options', options, TRAINER_FIELDS);
  options.groups.forEach((group, i) => refuseUnknown(`groups[${i}] "${group.name}"`, group, GROUP_FIELDS));
  refuseUnknown(`optimizer (${options.optimizer.type})`, options.optimizer, options.optimizer.type === 'sgd' ? SGD_FIELDS : ADAM_FIELDS);
}

function refuseUnknown(where: string, value: object, known: Record<string, true>): void {
  const unknown = Object.keys(value).find((key) => !Object.hasOwn(known, key));
  if (unknown !== undefined)
    throw new HeadstartError('BAD_INPUT', `${where}: unknown field "${unknown}"; expected one of ${Object.keys(known).join(', ')}`);
}
