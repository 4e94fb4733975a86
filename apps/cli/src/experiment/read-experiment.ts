import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { checkOptions, getRegistry } from '@headstart/core';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { parseAugmentOption } from '../augment-option.js';
import { CliError } from '../cli-error.js';
import { firstIssue, yamlProblem } from '../file-problems.js';
import { type Experiment, MASKED_LM_SOURCE } from './experiment.js';
import { type ExperimentFile, experimentSchema } from './experiment-schema.js';

/**
 * Read and check an experiment file before anything trains: fields, files, strategies and their
 * options. Errors name the file and the field (`strategies[1].options: unknown option "epoch"`).
 */
export async function readExperiment(file: string): Promise<Experiment> {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new CliError(`${file}: no such file`);
  });
  return parseExperiment(text, file);
}

/**
 * Check an experiment file's text as {@link readExperiment} does; relative paths are resolved
 * against `file`'s folder. A worker checks the experiment a queued run carries with it.
 */
export async function parseExperiment(text: string, file: string): Promise<Experiment> {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new CliError(`${file}: not valid YAML: ${yamlProblem(error)}`);
  }
  const parsed = experimentSchema.safeParse(raw);
  if (!parsed.success) throw new CliError(`${file}: ${issueText(firstIssue(parsed.error.issues))}`);
  const x = parsed.data;
  const at = (p: string): string => (isAbsolute(p) ? p : resolve(dirname(file), p));
  checkSource(x, file);
  const experiment: Experiment = {
    name: x.name,
    data: at(x.data),
    label: x.label,
    ...(x.scale ? { scale: x.scale } : {}),
    ...(x.inputShape ? { inputShape: x.inputShape } : {}),
    ...(x.text ? { text: x.text } : {}),
    source: {
      ...x.source,
      ...(x.source.data ? { data: at(x.source.data) } : {}),
      ...(x.source.model ? { model: at(x.source.model) } : {}),
    },
    target: x.target,
    arms: [],
    seeds: x.seeds,
  };
  for (const path of [experiment.data, experiment.source.data, experiment.source.model]) {
    if (path && !existsSync(path)) throw new CliError(`${file}: ${path}: no such file or directory`);
  }
  for (const [index, arm] of x.strategies.entries()) {
    const where = `${file}: strategies[${index}]`;
    const strategy = await getRegistry()
      .get('strategy', arm.strategy)
      .catch((error: Error) => {
        throw new CliError(`${where}.strategy: ${error.message}`);
      });
    const options = checkOptions(strategy.options, arm.options);
    if (!options.ok) throw new CliError(`${where}.options${options.field ? `.${options.field}` : ''}: ${options.problem}`);
    if (arm.augment !== undefined && x.text) throw new CliError(`${where}.augment: image augmentation applies to images, not text`);
    if (arm.augment !== undefined) parseAugmentOption(arm.augment, `${where}.augment`);
    const from = arm.from ?? (strategy.needsStart === 'required' ? 'source' : 'none');
    if (from === 'none' && strategy.needsStart === 'required')
      throw new CliError(`${where}.from: ${arm.strategy} starts from a trained model; use from: source`);
    experiment.arms.push({
      name: arm.name ?? arm.strategy,
      strategy: arm.strategy,
      options: arm.options,
      from,
      ...(arm.description ? { description: arm.description } : {}),
      ...(arm.augment ? { augment: arm.augment } : {}),
    });
  }
  const names = experiment.arms.map((a) => a.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new CliError(`${file}: strategies: two entries are named "${twice}"; give one a name`);
  return experiment;
}

/**
 * A source pre-trains on labelled classes (`labels`, `data`), is a trained `model`, or for text learns
 * from the unlabelled pool alone (`strategy: masked-lm-encoder`).
 */
function checkSource(x: ExperimentFile, file: string): void {
  const features = (['scale', 'inputShape'] as const).find((field) => x.text && x[field] !== undefined);
  if (features) throw new CliError(`${file}: ${features}: applies to numeric features, not text; leave it out`);
  if (x.text && x.source.data)
    throw new CliError(`${file}: source.data: for text, put the source texts in data and name their classes in source.labels`);
  if (x.source.strategy === MASKED_LM_SOURCE) {
    if (!x.text) throw new CliError(`${file}: source.strategy: ${MASKED_LM_SOURCE} pre-trains on text; give text: { column: NAME }`);
    const given = (['labels', 'data', 'model'] as const).find((field) => x.source[field] !== undefined);
    if (given) throw new CliError(`${file}: source.${given}: ${MASKED_LM_SOURCE} pre-trains on the target's unlabelled pool; leave it out`);
    return;
  }
  if (!x.source.model && !x.source.labels && !x.source.data)
    throw new CliError(`${file}: source: give labels (classes of data to pre-train on), data, or a model`);
}

function issueText(issue: z.core.$ZodIssue): string {
  const path = issue.path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
  if (issue.code === 'unrecognized_keys') return `${path ? `${path}: ` : ''}unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return `${path || '(file)'}: ${issue.message}`;
}
