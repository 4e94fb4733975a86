import { HeadstartError } from './errors.js';
import { lastDenseIndex } from './spec/default-spec.js';
import type { ModelSpec } from './spec/model-spec.js';
import type { StrategyContext } from './strategy.js';

/**
 * Decide, before a strategy sizes `spec`'s output layer (its last dense layer) for `classes`,
 * whether that may happen, and say so. A starting model's head (`ctx.from`) is resized for the new
 * data, as transfer learning does, and a `log` event says it: `full-retrain: head "out" resized from
 * 5 to 10 classes (the data has 10 labels)`. A spec the user gave (`ctx.spec`: `--model`, or a
 * library caller's spec) is trained as written: another output size is refused rather than changed.
 * A spec with no dense layer or of the right size passes silently.
 * @throws HeadstartError (USAGE) naming the layer, its units and the data's label count.
 */
export function decideHeadSize(ctx: Pick<StrategyContext, 'from' | 'emit'>, who: string, spec: ModelSpec, classes: number): void {
  const layer = spec.layers[lastDenseIndex(spec)];
  if (layer?.type !== 'dense' || layer.units === classes) return;
  if (!ctx.from) {
    throw new HeadstartError(
      'USAGE',
      `${who}: the model spec's output layer "${layer.name}" has ${layer.units} units but the data has ${classes} labels; set its units to ${classes} (a spec you give is trained as written)`,
    );
  }
  ctx.emit({
    type: 'log',
    level: 'info',
    message: `${who}: head "${layer.name}" resized from ${layer.units} to ${classes} classes (the data has ${classes} labels)`,
  });
}
