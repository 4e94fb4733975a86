import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkTrainingOutput, getRegistry, resumePath, runTraining, type CheckpointInterval, type EventSink, type Preprocessing, type StartingPoint, type TrainingOutcome } from '@headstart/core';
import { startBackend } from '../backend-choice.js';
import { inheritedFrom, loadTrainingData } from '../data-options.js';
import { chooseSpec } from '../read-spec.js';
import { loadStartingPoint } from '../start-point.js';
import type { Pipeline, Stage } from './pipeline-schema.js';

/** Where each stage's final checkpoint goes. */
export function stageCheckpoint(pipeline: Pipeline, index: number, stage: Stage): string {
  return join(pipeline.out, `${index + 1}-${stage.name}.safetensors`);
}

/**
 * Run the stages in order, each from the previous stage's checkpoint. With `resume`, finished
 * stages are skipped and an interrupted one continues from its resumable checkpoint.
 */
export async function runPipeline(pipeline: Pipeline, options: { resume: boolean; dryRun?: boolean; checkpointEvery?: CheckpointInterval; emit: EventSink; signal: AbortSignal }): Promise<TrainingOutcome[]> {
  const registry = getRegistry();
  const { backend, availability } = await startBackend(pipeline.backend);
  const outcomes: TrainingOutcome[] = [];
  // Every stage's output before the first trains: a stage an interrupted run left is refused up front, not after retraining the ones before it.
  if (!options.resume && !options.dryRun) for (const [index, stage] of pipeline.stages.entries()) await checkTrainingOutput({ flag: 'output', path: stageCheckpoint(pipeline, index, stage) });
  let from: StartingPoint | undefined = pipeline.from ? await loadStartingPoint(pipeline.from) : undefined;
  for (const [index, stage] of pipeline.stages.entries()) {
    const out = stageCheckpoint(pipeline, index, stage);
    if (options.resume && existsSync(out) && !existsSync(resumePath(out))) {
      options.emit({ type: 'log', level: 'info', message: `stage ${index + 1} "${stage.name}" already finished (${out}); skipping it` });
      from = await loadStartingPoint(out);
      continue;
    }
    const { data, preprocessing } = await loadTrainingData(
      { data: stage.data, val: stage.val, unlabeled: stage.unlabeled, label: stage.label, valSplit: String(stage.valSplit), seed: String(pipeline.seed),
        ...(index === 0 && pipeline.scale ? { scale: String(pipeline.scale) } : {}), standardize: index === 0 && pipeline.standardize,
        ...(stage.labels ? { labels: stage.labels } : {}), ...(stage.perClass ? { perClass: stage.perClass } : {}),
        ...(pipeline.inputShape ? { inputShape: pipeline.inputShape.join(',') } : {}) },
      inheritedFrom(from),
    );
    const spec = await chooseSpec(index === 0 ? pipeline.model : undefined, from, data.train);
    options.emit({ type: 'stage-start', stage: index, name: stage.name, strategy: stage.strategy });
    const outcome = await runTraining({
      strategy: await registry.get('strategy', stage.strategy),
      options: stage.options,
      backend,
      engine: availability.engine ?? backend.name,
      data,
      preprocessing,
      ...(from ? { from } : {}),
      spec,
      seed: pipeline.seed + index,
      out,
      stage: index,
      resume: options.resume && existsSync(resumePath(out)),
      dryRun: options.dryRun,
      checkpointEvery: options.checkpointEvery,
      emit: options.emit,
      signal: options.signal,
    });
    outcomes.push(outcome);
    // A dry run writes nothing: the next stage plans from this stage's (untrained) model in memory.
    from = options.dryRun ? await inMemoryStart(outcome, preprocessing) : await loadStartingPoint(out);
    outcome.result.model.dispose();
    if (!options.dryRun) options.emit({ type: 'stage-end', stage: index, name: stage.name, metrics: outcome.result.metrics, checkpoint: out });
  }
  return outcomes;
}

async function inMemoryStart(outcome: TrainingOutcome, preprocessing: Preprocessing): Promise<StartingPoint> {
  const { model, labels } = outcome.result;
  return { file: '(dry run)', spec: model.spec, weights: await model.getWeights(), labels, preprocessing, provenance: outcome.provenance };
}
