import { HeadstartError, type BatchTransform } from '@headstart/core';
import { imageAugmentation, parseAugmentation, type AugmentSpec } from '@headstart/data';
import { CliError } from './cli-error.js';

/**
 * `--augment flip,crop=2` (or a pipeline stage's `augment`) parsed, or a usage error naming where it
 * was given (`where`: `--augment`, `pipeline.yaml: stages[1].augment`).
 */
export function parseAugmentOption(text: string, where = '--augment'): AugmentSpec {
  return named(where, text, () => parseAugmentation(text));
}

/** The augmentation `text` asks for, on samples of `sampleShape`; undefined without one. Errors name `where`. */
export function augmentationFor(text: string | undefined, sampleShape: readonly number[], where = '--augment'): BatchTransform | undefined {
  if (text === undefined) return undefined;
  const spec = parseAugmentOption(text, where);
  return named(where, text, () => imageAugmentation(spec, sampleShape));
}

function named<T>(where: string, text: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof HeadstartError) throw new CliError(`${where} ${text}: ${error.message}`);
    throw error;
  }
}
