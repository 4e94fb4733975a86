import type { EventSink, Preprocessing, StartingPoint, StrategyData } from '@headstart/core';
import type { TextRunWording } from '@headstart/data';
import { CliError } from '../cli-error.js';
import { inheritedFrom, loadTrainingData, type DataFlags } from '../data-options.js';
import { isTextRun, loadTextRunData, type TextFlags } from '../text-options.js';
import type { Pipeline, Stage } from './pipeline-schema.js';
import { augmentWhere } from './read-pipeline.js';

/** The pipeline-level fields that apply to a stage's data: the first stage fits preprocessing, every stage has the input shape. */
const PIPELINE_FIELDS = new Set(['scale', 'standardize', 'inputShape']);

/**
 * The data of stage `index`, as `headstart train` would read it with the stage's fields as flags:
 * text (the stage's `textColumn`, or a starting text model) tokenised with its tokenizer, cached
 * in `tokenCache` (only read by a dry run); numbers with the pipeline's preprocessing (first stage) or the starting model's.
 * @throws CliError naming the pipeline file, the stage and the field.
 */
export async function loadStageData(
  pipeline: Pipeline,
  index: number,
  from: StartingPoint | undefined,
  env: { file: string; emit: EventSink; tokenCache?: string | false | undefined; dryRun?: boolean | undefined },
): Promise<{ data: StrategyData; preprocessing: Preprocessing }> {
  const stage = pipeline.stages[index]!;
  const flags = stageFlags(pipeline, index, stage, env);
  const where = `${env.file}: stages[${index}] "${stage.name}"`;
  const wording = stageWording(env.file, where);
  if (isTextRun(flags, from, wording)) {
    // The cache flags are the whole run's (`run --token-cache`), for its text stages: a numeric stage beside them is no refusal.
    const tokenCache = env.tokenCache !== undefined ? { tokenCache: env.tokenCache } : {};
    return loadTextRunData({ ...flags, ...tokenCache }, from, { emit: env.emit, writesNothing: env.dryRun, wording });
  }
  return loadTrainingData(flags, inheritedFrom(from));
}

function stageFlags(pipeline: Pipeline, index: number, stage: Stage, env: { file: string }): DataFlags & TextFlags {
  return {
    data: stage.data,
    val: stage.val,
    unlabeled: stage.unlabeled,
    label: stage.label,
    valSplit: String(stage.valSplit),
    seed: String(pipeline.seed),
    ...(index === 0 && pipeline.scale ? { scale: String(pipeline.scale) } : {}),
    ...(index === 0 && pipeline.standardize ? { standardize: true } : {}),
    ...(stage.labels ? { labels: stage.labels } : {}),
    ...(stage.perClass ? { perClass: stage.perClass } : {}),
    ...(stage.augment ? { augment: stage.augment, augmentWhere: augmentWhere(env.file, index, stage) } : {}),
    ...(pipeline.inputShape ? { inputShape: pipeline.inputShape.join(',') } : {}),
    ...(stage.textColumn !== undefined ? { textColumn: stage.textColumn } : {}),
    ...(stage.tokenizer !== undefined ? { tokenizer: stage.tokenizer } : {}),
    ...(stage.maxLength !== undefined ? { maxLength: String(stage.maxLength) } : {}),
    ...(stage.vocabSize !== undefined ? { vocabSize: String(stage.vocabSize) } : {}),
  };
}

/** Refusals name the pipeline's fields: `pipeline.yaml: stages[1] "tune": maxLength`, `pipeline.yaml: scale`. */
function stageWording(file: string, where: string): TextRunWording {
  return {
    name: (option) => {
      if (option === 'from') return `${where}: its starting model`;
      return PIPELINE_FIELDS.has(option) ? `${file}: ${option}` : `${where}: ${option}`;
    },
    askForText: 'the stage a textColumn (the column holding the text)',
    refuse: (message) => {
      throw new CliError(message);
    },
  };
}
