import { readFile } from 'node:fs/promises';
import {
  checkTokenInputs,
  defaultModelSpecFor,
  HeadstartError,
  isTokenDataset,
  validateSpec,
  type ModelSpec,
  type TokenDataset,
  type TrainingData,
} from '@headstart/core';
import { parse as parseYaml } from 'yaml';
import { CliError } from './cli-error.js';

/** A ModelSpec from a YAML or JSON file (`--model`), validated with errors naming the file, layer and field. */
export async function readSpec(file: string): Promise<ModelSpec> {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new CliError(`--model ${file}: no such file`);
  });
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new CliError(`${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`);
  }
  return validateSpec(raw, file);
}

/**
 * Check a `--model` spec takes samples of the data's shape.
 * @throws CliError naming the file and both shapes.
 */
export function checkSpecFitsData(spec: ModelSpec, file: string, sampleShape: readonly number[]): void {
  const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
  if (size(spec.inputShape) !== size(sampleShape)) {
    throw new CliError(
      `${file}: inputShape [${spec.inputShape.join(', ')}] does not fit the data, whose samples have shape [${sampleShape.join(', ')}] (${size(sampleShape)} values); fix inputShape or give --input-shape`,
    );
  }
}

/**
 * The architecture a run trains: the `--model` file (checked against the data), else the starting
 * checkpoint's, else core's default for the data: an MLP or CNN for its sample shape, a small
 * transformer encoder for text (`defaultTextModelSpec`), sized to its classes.
 */
export async function chooseSpec(
  modelFile: string | undefined,
  from: { spec: ModelSpec } | undefined,
  train: TrainingData,
): Promise<ModelSpec> {
  if (modelFile) {
    const spec = await readSpec(modelFile);
    if (isTokenDataset(train)) checkSpecTakesText(spec, modelFile, train);
    else checkSpecFitsData(spec, modelFile, train.sampleShape);
    return spec;
  }
  return from?.spec ?? defaultModelSpecFor(train);
}

/** Check a `--model` spec takes the token sequences of text data. @throws CliError naming the file, what it takes and the data. */
function checkSpecTakesText(spec: ModelSpec, file: string, train: TokenDataset): void {
  try {
    checkTokenInputs(spec, train, 'training data');
  } catch (error) {
    if (error instanceof HeadstartError) throw new CliError(`${file}: ${error.message}`);
    throw error;
  }
}
