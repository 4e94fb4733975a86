import { getRegistry, type AnyStrategy, type StartingPoint } from '@headstart/core';
import { parseAugmentOption } from './augment-option.js';
import { CliError } from './cli-error.js';
import { parseShape, type DataFlags } from './data-options.js';

/**
 * Refuse `train` flags that would otherwise be ignored without a word or fail late: a malformed `--augment`, `--val-split` beside
 * `--val`, `--unlabeled` for a strategy that does not read it, and an `--input-shape` other than
 * the `--from` model's.
 * @throws CliError naming the flag, before any data is read.
 */
export async function checkTrainFlags(flags: DataFlags, strategy: AnyStrategy, from: StartingPoint | undefined): Promise<void> {
  if (flags.val !== undefined && flags.valSplit !== undefined) {
    throw new CliError('--val-split and --val both choose the validation data (a share of --data, or a file); give one of them');
  }
  if (flags.unlabeled !== undefined && strategy.usesUnlabeled !== true) {
    const users = await strategiesUsingUnlabeled();
    const which = users.length > 0 ? `; the strategies that do: ${users.join(', ')}` : '';
    throw new CliError(`--unlabeled: strategy ${strategy.name} does not use unlabelled data${which}`);
  }
  if (flags.augment !== undefined) parseAugmentOption(flags.augment);
  const shape = parseShape(flags.inputShape);
  if (shape && from && shape.join(',') !== from.spec.inputShape.join(',')) {
    throw new CliError(
      `--input-shape ${flags.inputShape}: the --from model ${from.file} fixes the input shape to ${from.spec.inputShape.join(',')}; leave --input-shape out`,
    );
  }
}

/**
 * `--model` with `--from`: the starting model already gives the architecture (with its weights), and
 * the strategies train that one, so `--model` would be ignored without a word.
 */
export function checkModelAndFrom(model: string | undefined, from: StartingPoint | undefined, where = '--model'): void {
  if (model !== undefined && from)
    throw new CliError(
      `${where} ${model}: the --from model ${from.file} already gives the architecture (with its weights); leave ${where} out, or leave --from out to train ${model} from scratch`,
    );
}

/** Names of the registered strategies that declare `usesUnlabeled`; one that fails to load is left out. */
async function strategiesUsingUnlabeled(): Promise<string[]> {
  const registry = getRegistry();
  const names = registry.names('strategy');
  const strategies = await Promise.allSettled(names.map((name) => registry.get('strategy', name)));
  return names.filter((_, i) => {
    const result = strategies[i]!;
    return result.status === 'fulfilled' && result.value.usesUnlabeled === true;
  });
}
