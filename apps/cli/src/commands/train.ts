import { checkTrainingOutput, deviceName, getRegistry, runStrategy } from '@headstart/core';
import { startBackend } from '../backend-choice.js';
import { readDevice } from '../device.js';
import { CliError } from '../cli-error.js';
import { inheritedFrom, loadTrainingData, parseSeed, type DataFlags } from '../data-options.js';
import { checkModelAndFrom, checkTrainFlags } from '../train-flag-checks.js';
import { formatMetrics, createReporter } from '../output/reporter.js';
import { loadPlugins } from '../plugins/load-plugins.js';
import { interruptSignal } from '../interrupt.js';
import { loadStartingPoint } from '../start-point.js';
import { chooseSpec } from '../read-spec.js';
import { parseCheckpointEvery } from '../checkpoint-every.js';
import { recordedBase } from '../adapter-base.js';
import { flagPaths } from '../flag-paths.js';
import { isTextRun, loadTextRunData, type TextFlags } from '../text-options.js';

/** Flags of `headstart train`. */
export interface TrainFlags extends DataFlags, TextFlags {
  strategy: string;
  backend?: string | undefined;
  device?: string | undefined;
  from?: string | undefined;
  out: string;
  epochs?: string | undefined;
  lr?: string | undefined;
  batchSize?: string | undefined;
  head?: string | undefined;
  freeze?: string[] | undefined;
  model?: string | undefined;
  set?: string[] | undefined;
  checkpointEvery?: string | undefined;
  resume?: boolean | undefined;
  dryRun?: boolean | undefined;
  json?: boolean | undefined;
}

/** `headstart train`: one strategy, one checkpoint. */
export async function train(flags: TrainFlags): Promise<void> {
  const reporter = createReporter(flags);
  const inputs = [
    ...flagPaths({
      '--data': flags.data,
      '--val': flags.val,
      '--unlabeled': flags.unlabeled,
      '--from': flags.from,
      '--tokenizer': flags.tokenizer,
    }),
    ...(await recordedBase(flags.from)),
  ];
  if (!flags.dryRun) await checkTrainingOutput({ flag: '--out', path: flags.out }, { resume: flags.resume, inputs });
  const plugins = await loadPlugins();
  plugins.warnings.forEach((w) => reporter.warn(w));
  const registry = getRegistry();
  const strategy = await registry.get('strategy', flags.strategy);
  const from = flags.from ? await loadStartingPoint(flags.from) : undefined;
  if (strategy.needsStart === 'required' && !from)
    throw new CliError(`--strategy ${strategy.name} starts from a trained model: give --from CHECKPOINT`);
  await checkTrainFlags(flags, strategy, from);
  checkModelAndFrom(flags.model, from);
  const { data, preprocessing } = isTextRun(flags, from)
    ? await loadTextRunData(flags, from, { emit: reporter.emit, writesNothing: flags.dryRun })
    : await loadTrainingData(flags, inheritedFrom(from));
  const spec = await chooseSpec(flags.model, from, data.train);
  const device = readDevice(flags.device);
  const { backend, availability } = await startBackend(flags.backend, device);
  const { signal, dispose } = interruptSignal();
  try {
    const outcome = await runStrategy({
      strategy,
      options: strategyOptions(flags),
      backend,
      engine: availability.engine ?? backend.name,
      device: deviceName(device),
      data,
      preprocessing,
      ...(from ? { from } : {}),
      spec,
      seed: parseSeed(flags.seed),
      out: flags.out,
      outLabel: '--out',
      resume: flags.resume === true,
      dryRun: flags.dryRun === true,
      checkpointEvery: parseCheckpointEvery(flags.checkpointEvery),
      emit: reporter.emit,
      signal,
    });
    reporter.close();
    if (flags.dryRun) return;
    reporter.info(`saved ${outcome.checkpoint.file} — ${formatMetrics(outcome.result.metrics)}`);
    reporter.result({ checkpoint: outcome.checkpoint.file, sha256: outcome.checkpoint.sha256, metrics: outcome.result.metrics });
  } finally {
    reporter.close();
    dispose();
  }
}

/** Flags and `--set key=value` pairs as raw strategy options (the strategy's schema parses them). */
export function strategyOptions(
  flags: Pick<TrainFlags, 'epochs' | 'lr' | 'batchSize' | 'head' | 'freeze' | 'set'>,
): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (flags.epochs !== undefined) options.epochs = flags.epochs;
  if (flags.lr !== undefined) options.lr = flags.lr;
  if (flags.batchSize !== undefined) options.batchSize = flags.batchSize;
  if (flags.head !== undefined) options.head = flags.head;
  if (flags.freeze !== undefined) options.freeze = flags.freeze;
  const fromFlags = new Set(Object.keys(options));
  const set = new Set<string>();
  for (const pair of (flags.set ?? []).flatMap(splitPairs)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`--set ${pair}: expected key=value`);
    const key = pair.slice(0, eq).trim();
    // Two values for one option: which one trains would be a guess.
    if (fromFlags.has(key)) throw new CliError(`--set ${pair}: ${key} is also given as --${kebab(key)}; give it once`);
    if (set.has(key)) throw new CliError(`--set ${pair}: ${key} is set twice; give it once`);
    set.add(key);
    options[key] = pair.slice(eq + 1).trim();
  }
  return options;
}

/**
 * `rank=8,alpha=16,target=enc*,dec1` → `rank=8`, `alpha=16`, `target=enc*,dec1`: one `--set` may
 * give several options; a piece without `=` belongs to the list value before it (`freeze=a,b`).
 */
function splitPairs(text: string): string[] {
  const pairs: string[] = [];
  for (const piece of text.split(',')) {
    if (piece.includes('=') || pairs.length === 0) pairs.push(piece);
    else pairs[pairs.length - 1] += `,${piece}`;
  }
  return pairs;
}

/** `batchSize` → `batch-size`: the flag that sets an option. */
function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
