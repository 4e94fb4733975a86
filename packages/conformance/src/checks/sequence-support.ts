import type { Backend } from '@headstart/core';
import { ConformanceFailure } from '../conformance-failure.js';
import { fixtureRefusal } from './fixture-refusal.js';
import { ENCODER_SPEC } from '../fixtures/encoder-specs.js';

/**
 * The one line `backend` refuses the encoder fixture with (named inputs, sequence layers), or
 * undefined when it creates it. Asked once per backend.
 * @throws ConformanceFailure when the refusal is not a one-line user error: a backend without
 * sequence models must say so (core's `requireNoSequences`), not crash.
 */
export const sequenceRefusal = fixtureRefusal(ENCODER_SPEC, 'the encoder fixture', (message) => {
  if (message.includes('\n'))
    throw new ConformanceFailure(`the refusal of the encoder fixture should be one line, got: ${JSON.stringify(message)}`);
});

/** The skip of a sequence check on a backend that refuses sequence models, with its refusal. */
export async function skipUnlessSequences(backend: Backend): Promise<{ skipped: string } | undefined> {
  const refusal = await sequenceRefusal(backend);
  return refusal === undefined ? undefined : { skipped: `the backend refuses sequence models: ${refusal}` };
}
