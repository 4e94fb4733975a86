import {
  checkOptions,
  checkTrainingOutput,
  deviceName,
  getRegistry,
  runStrategy,
  type CheckpointInterval,
  type EventSink,
  type Preprocessing,
  type StartingPoint,
  type AnyStrategy,
  type Backend,
  type TrainingOutcome,
} from '@headstart/core';
import { startBackend } from '../backend-choice.js';
import { readDevice } from '../device.js';
import { chooseSpec } from '../read-spec.js';
import { loadStartingPoint } from '../start-point.js';
import type { Pipeline, Stage } from './pipeline-schema.js';
import { lockPipeline, readState, writeState } from './pipeline-state.js';
import { loadStageData } from './stage-data.js';
import { stageIdentity } from './stage-identity.js';
import { checkSameStage, earlierStage, refuseEarlierRun, refuseGap, stageCheckpoint } from './stage-resume.js';

/** How to run a pipeline. */
export interface PipelineRunOptions {
  /** The pipeline file, for messages. */
  file: string;
  resume: boolean;
  dryRun?: boolean | undefined;
  checkpointEvery?: CheckpointInterval | undefined;
  /** Where text stages cache their tokens (`--token-cache`); false: no cache; default the user's cache. */
  tokenCache?: string | false | undefined;
  emit: EventSink;
  signal: AbortSignal;
}

/**
 * Run the stages in order, each from the previous stage's checkpoint, with the output directory
 * locked for the whole run. Each stage's definition is recorded before it trains; with `resume`,
 * finished stages of the same definition are skipped and an interrupted one continues from its
 * resumable checkpoint, and a stage whose definition changed is refused. Without `resume`, an
 * output directory holding an earlier run's stages is refused.
 */
export async function runPipeline(pipeline: Pipeline, options: PipelineRunOptions): Promise<TrainingOutcome[]> {
  // A dry run writes nothing, so it takes no lock (and makes no directory).
  if (options.dryRun) return runStages(pipeline, options);
  const unlock = await lockPipeline(pipeline.out, (message) => options.emit({ type: 'log', level: 'warn', message }));
  try {
    return await runStages(pipeline, options);
  } finally {
    await unlock().catch(() => undefined);
  }
}

async function runStages(pipeline: Pipeline, options: PipelineRunOptions): Promise<TrainingOutcome[]> {
  const registry = getRegistry();
  const state = await readState(pipeline.out);
  if (!options.resume && !options.dryRun) refuseEarlierRun(options.file, pipeline, state);
  if (options.resume) refuseGap(options.file, pipeline);
  const device = readDevice(pipeline.device, `${options.file}: device`);
  const { backend, availability } = await startBackend(pipeline.backend, device, `${options.file}: device`, `${options.file}: backend`);
  const outcomes: TrainingOutcome[] = [];
  // Every stage's output before the first trains: a stage an interrupted run left is refused up front, not after retraining the ones before it.
  if (!options.resume && !options.dryRun)
    for (const [index, stage] of pipeline.stages.entries())
      await checkTrainingOutput({ flag: 'output', path: stageCheckpoint(pipeline, index, stage) });
  let from: StartingPoint | undefined = pipeline.from ? await loadStartingPoint(pipeline.from) : undefined;
  for (const [index, stage] of pipeline.stages.entries()) {
    const out = stageCheckpoint(pipeline, index, stage);
    const strategy = await registry.get('strategy', stage.strategy);
    const identity = await stageIdentity(pipeline, index, stage, { options: parsedOptions(strategy, stage), from });
    const earlier = options.resume ? earlierStage(out) : undefined;
    if (earlier) checkSameStage(options.file, pipeline, index, stage, earlier, state.stages[index], identity);
    if (earlier === 'finished') {
      options.emit({ type: 'log', level: 'info', message: `stage ${index + 1} "${stage.name}" already finished (${out}); skipping it` });
      from = await loadStartingPoint(out);
      continue;
    }
    if (!earlier && !options.dryRun) {
      state.stages[index] = identity;
      await writeState(pipeline.out, state);
    }
    const outcome = await trainStage(pipeline, index, from, {
      file: options.file,
      backend,
      engine: availability.engine ?? backend.name,
      device: deviceName(device),
      resume: earlier === 'interrupted',
      dryRun: options.dryRun,
      checkpointEvery: options.checkpointEvery,
      tokenCache: options.tokenCache,
      emit: options.emit,
      signal: options.signal,
    });
    outcomes.push(outcome);
    // A dry run writes nothing: the next stage plans from this stage's (untrained) model in memory.
    from = options.dryRun ? await inMemoryStart(outcome, outcome.preprocessing) : await loadStartingPoint(out);
    outcome.result.model.dispose();
    if (!options.dryRun)
      options.emit({ type: 'stage-end', stage: index, name: stage.name, metrics: outcome.result.metrics, checkpoint: out });
  }
  return outcomes;
}

/** A stage's options as its strategy parses them (read-pipeline checked they parse). */
function parsedOptions(strategy: AnyStrategy, stage: Stage): Record<string, unknown> {
  const checked = checkOptions(strategy.options, stage.options);
  return checked.ok ? checked.options : stage.options;
}

async function inMemoryStart(outcome: TrainingOutcome, preprocessing: Preprocessing): Promise<StartingPoint> {
  const { model, labels } = outcome.result;
  return { file: '(dry run)', spec: model.spec, weights: await model.getWeights(), labels, preprocessing, provenance: outcome.provenance };
}

/** How one stage trains. */
export interface StageEnv {
  /** The pipeline file, as messages name it. */
  file: string;
  backend: Backend;
  engine: string;
  /** What the backend computes on, as provenance records it (`cpu`, `cuda:1`). */
  device?: string | undefined;
  resume: boolean;
  /** Replace what an earlier run left at the stage's checkpoint (a worker retraining a stage). */
  startOver?: boolean | undefined;
  dryRun?: boolean | undefined;
  checkpointEvery?: CheckpointInterval | undefined;
  /** Where text stages cache their tokens; false: no cache; default the user's cache. */
  tokenCache?: string | false | undefined;
  emit: EventSink;
  signal: AbortSignal;
}

/**
 * Train stage `index` of `pipeline` from `from` (the previous stage's checkpoint, or the
 * pipeline's `from`) into its checkpoint under `pipeline.out`: its data, spec, seed and options.
 */
export async function trainStage(
  pipeline: Pipeline,
  index: number,
  from: StartingPoint | undefined,
  env: StageEnv,
): Promise<TrainingOutcome & { preprocessing: Preprocessing }> {
  const stage = pipeline.stages[index]!;
  const strategy = await getRegistry().get('strategy', stage.strategy);
  const { data, preprocessing } = await loadStageData(pipeline, index, from, env);
  const spec = await chooseSpec(index === 0 ? pipeline.model : undefined, from, data.train);
  env.emit({ type: 'stage-start', stage: index, name: stage.name, strategy: stage.strategy });
  const outcome = await runStrategy({
    strategy,
    options: stage.options,
    backend: env.backend,
    engine: env.engine,
    ...(env.device ? { device: env.device } : {}),
    data,
    preprocessing,
    ...(from ? { from } : {}),
    spec,
    seed: pipeline.seed + index,
    out: stageCheckpoint(pipeline, index, stage),
    stage: index,
    resume: env.resume,
    startOver: env.startOver,
    dryRun: env.dryRun,
    checkpointEvery: env.checkpointEvery,
    emit: env.emit,
    signal: env.signal,
  });
  return { ...outcome, preprocessing };
}
