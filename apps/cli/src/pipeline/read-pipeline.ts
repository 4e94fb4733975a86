import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { checkOptions, getRegistry } from '@headstart/core';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { CliError } from '../cli-error.js';
import { firstIssue, yamlProblem } from '../file-problems.js';
import { parseAugmentOption } from '../augment-option.js';
import { pipelineSchema, type Pipeline, type Stage } from './pipeline-schema.js';

/** How errors name a stage's `augment`: `pipeline.yaml: stages[1] "finetune": augment`. */
export function augmentWhere(file: string, index: number, stage: Stage): string {
  return `${file}: stages[${index}] "${stage.name}": augment`;
}

/**
 * Read and validate a pipeline file before anything trains: its fields, every stage's strategy
 * and options (by the strategy's own schema), and that every data file exists. Paths are taken
 * relative to the pipeline file. Errors name the file, the stage and the field.
 */
export async function readPipeline(file: string): Promise<Pipeline> {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new CliError(`${file}: no such file`);
  });
  return parsePipeline(text, file);
}

/** Check a pipeline file's text as {@link readPipeline} does; a worker checks the pipeline a queued stage carries. */
export async function parsePipeline(text: string, file: string): Promise<Pipeline> {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new CliError(`${file}: not valid YAML: ${yamlProblem(error)}`);
  }
  const parsed = pipelineSchema.safeParse(raw);
  if (!parsed.success) throw new CliError(`${file}: ${describe(raw, firstIssue(parsed.error.issues))}`);
  const pipeline = resolvePaths(parsed.data, dirname(file));
  await checkStages(file, pipeline);
  return pipeline;
}

function describe(raw: unknown, issue: z.core.$ZodIssue): string {
  const [first, index, ...rest] = issue.path;
  if (first === 'stages' && typeof index === 'number') {
    const name = (raw as { stages?: { name?: unknown }[] }).stages?.[index]?.name;
    return `stages[${index}]${typeof name === 'string' ? ` "${name}"` : ''}: ${fieldOf(rest, issue)}`;
  }
  return fieldOf(issue.path, issue);
}

function fieldOf(path: PropertyKey[], issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return `${path.map(String).join('.') || '(file)'}: ${issue.message}`;
}

function resolvePaths(p: Pipeline, base: string): Pipeline {
  const at = (path: string | undefined): string | undefined => (path === undefined || isAbsolute(path) ? path : resolve(base, path));
  return {
    ...p,
    out: at(p.out)!,
    ...(p.from ? { from: at(p.from) } : {}),
    ...(p.model ? { model: at(p.model) } : {}),
    stages: p.stages.map((s) => ({
      ...s,
      data: at(s.data)!,
      ...(s.val ? { val: at(s.val) } : {}),
      ...(s.unlabeled ? { unlabeled: at(s.unlabeled) } : {}),
      ...(s.tokenizer ? { tokenizer: at(s.tokenizer) } : {}),
    })),
  };
}

async function checkStages(file: string, pipeline: Pipeline): Promise<void> {
  // The first stage trains the architecture of `from`: a `model` beside it would be ignored without a word.
  if (pipeline.model !== undefined && pipeline.from !== undefined)
    throw new CliError(
      `${file}: model: from (${pipeline.from}) already gives the first stage's architecture (with its weights); leave model out, or leave from out to train ${pipeline.model} from scratch`,
    );
  const registry = getRegistry();
  const names = new Set<string>();
  for (const [index, stage] of pipeline.stages.entries()) {
    const where = `${file}: stages[${index}] "${stage.name}"`;
    if (names.has(stage.name)) throw new CliError(`${where}: name: already used by an earlier stage`);
    names.add(stage.name);
    const strategy = await registry.get('strategy', stage.strategy).catch((error: Error) => {
      throw new CliError(`${where}: strategy: ${error.message}`);
    });
    const options = checkOptions(strategy.options, stage.options);
    if (!options.ok) throw new CliError(`${where}: options${options.field ? `.${options.field}` : ''}: ${options.problem}`);
    if (stage.augment !== undefined) parseAugmentOption(stage.augment, augmentWhere(file, index, stage));
    if (stage.unlabeled !== undefined && strategy.usesUnlabeled !== true)
      throw new CliError(`${where}: unlabeled: strategy ${stage.strategy} does not use unlabelled data`);
    if (strategy.needsStart === 'required' && index === 0 && !pipeline.from)
      throw new CliError(
        `${where}: strategy: ${stage.strategy} starts from a trained model; give the pipeline a "from" or an earlier stage`,
      );
    for (const field of ['data', 'val', 'unlabeled', 'tokenizer'] as const) {
      const path = stage[field];
      if (path && !existsSync(path)) throw new CliError(`${where}: ${field}: ${path}: no such file or directory`);
    }
  }
}
