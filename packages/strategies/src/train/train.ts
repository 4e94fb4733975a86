import {
  CPU,
  DEFAULT_SEED,
  defaultModelSpecFor,
  DEVICE_SPELLINGS,
  deviceName,
  getRegistry,
  HeadstartError,
  parseDevice,
  readStartingPoint,
  trainInMemory,
  validateSpec,
  type AnyStrategy,
  type Backend,
  type StartingPoint,
} from '@headstart/core';
import { inheritedFrom } from '@headstart/data';
import { trainData } from './train-data.js';
import { isTextTraining, textTrainData } from './text-train-data.js';
import { badOption, checkTrainOptions, STRATEGY_OPTION_NAMES, type TrainOptions } from './train-options.js';
import { trainedModel, type TrainedModel } from './trained-model.js';

/**
 * Train a classifier in one call, with the machinery of `headstart train`: the data read, split
 * and preprocessed as the CLI does, the strategy run by core's runner (option parsing, schedules,
 * early stopping, validation) and provenance recorded. Nothing is written until
 * {@link TrainedModel.save}, which writes the checkpoint the CLI would have written.
 *
 * ```ts
 * const model = await train({ data: 'digits.csv', strategy: 'full-retrain', backend: createOnnxBackend(), epochs: 20 });
 * console.log(model.metrics.valAccuracy);
 * await model.save('digits.safetensors');
 * ```
 * @throws HeadstartError `BAD_INPUT` naming the option at fault; `USAGE` naming a strategy option its schema refuses.
 */
export async function train(options: TrainOptions): Promise<TrainedModel> {
  const asked = checkTrainOptions(options);
  const strategy = await resolveStrategy(asked.strategy);
  const from = typeof asked.from === 'string' ? await readStartingPoint(asked.from) : asked.from;
  checkStrategyFits(strategy, asked, from);
  const { backend, engine, device } = await readyBackend(asked.backend, asked.device);
  const seed = asked.seed ?? DEFAULT_SEED;
  const { data, preprocessing } = isTextTraining(asked, from)
    ? await textTrainData(asked, from, seed)
    : await trainData(asked, inheritedFrom(from), seed);
  const spec = asked.model !== undefined ? validateSpec(asked.model, 'train: model') : (from?.spec ?? defaultModelSpecFor(data.train));
  const trained = await trainInMemory({
    strategy,
    options: strategyOptions(asked),
    backend,
    engine,
    device,
    data,
    preprocessing,
    ...(from ? { from } : {}),
    spec,
    seed,
    emit: asked.onEvent ?? (() => undefined),
    signal: asked.signal ?? new AbortController().signal,
  });
  return trainedModel(trained.result.model, trained.manifest);
}

/** A strategy object as given, or the registered one of that name (importing this package registers the built-ins). */
async function resolveStrategy(strategy: string | AnyStrategy): Promise<AnyStrategy> {
  if (typeof strategy !== 'string') return strategy;
  const registry = getRegistry();
  const known = registry.names('strategy');
  if (!known.includes(strategy)) throw badOption('strategy', `unknown strategy "${strategy}"; available: ${known.join(', ')}`);
  return registry.get('strategy', strategy);
}

/** What `headstart train` refuses before reading data: a start the strategy needs, unlabelled data it ignores, an architecture `from` already fixes. */
function checkStrategyFits(strategy: AnyStrategy, asked: TrainOptions, from: StartingPoint | undefined): void {
  if (strategy.needsStart === 'required' && !from)
    throw badOption('from', `strategy ${strategy.name} starts from a trained model: give from (a checkpoint path)`);
  if (asked.unlabeled !== undefined && strategy.usesUnlabeled !== true)
    throw badOption('unlabeled', `strategy ${strategy.name} does not use unlabelled data`);
  if (asked.model !== undefined && from)
    throw badOption('model', `the from model ${from.file} already gives the architecture (with its weights); leave model out, or from out`);
}

/** The backend ready to train on `device`, with the engine and device its provenance records; never a fallback. */
async function readyBackend(given: Backend, deviceText: string | undefined): Promise<{ backend: Backend; engine: string; device: string }> {
  const device = deviceText === undefined ? CPU : parseDevice(deviceText);
  if (!device) throw badOption('device', `expected ${DEVICE_SPELLINGS}, got ${JSON.stringify(deviceText)}`);
  const availability = await given.probe();
  if (!availability.available)
    throw new HeadstartError('BAD_INPUT', `train: backend: ${given.name} cannot run here: ${availability.reasons.join('; ')}`);
  const engine = availability.engine ?? given.name;
  if (device.kind === 'cpu') return { backend: given, engine, device: deviceName(device) };
  const devices = availability.devices ?? ['cpu'];
  if (!given.onDevice || !devices.includes(device.kind))
    throw badOption('device', `the ${given.name} backend cannot compute on ${device.kind} here (available: ${devices.join(', ')})`);
  return { backend: given.onDevice(device), engine, device: deviceName(device) };
}

/** `epochs`, `lr`, `batchSize` and `options` as the raw strategy options `runStrategy` parses. */
function strategyOptions(asked: TrainOptions): Record<string, unknown> {
  const options: Record<string, unknown> = { ...asked.options };
  for (const name of STRATEGY_OPTION_NAMES) if (asked[name] !== undefined) options[name] = asked[name];
  return options;
}
