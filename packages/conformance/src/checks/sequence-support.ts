import { isUserError, type Backend } from '@headstart/core';
import { ConformanceFailure } from '../conformance-failure.js';
import { ENCODER_SPEC } from '../fixtures/encoder-specs.js';

const refusals = new WeakMap<Backend, Promise<string | undefined>>();

/**
 * The one line `backend` refuses the encoder fixture with (named inputs, sequence layers), or
 * undefined when it creates it. Asked once per backend.
 * @throws ConformanceFailure when the refusal is not a one-line user error: a backend without
 * sequence models must say so (core's `requireNoSequences`), not crash.
 */
export function sequenceRefusal(backend: Backend): Promise<string | undefined> {
  let refusal = refusals.get(backend);
  if (!refusal) {
    refusal = refusalOf(backend);
    refusals.set(backend, refusal);
  }
  return refusal;
}

async function refusalOf(backend: Backend): Promise<string | undefined> {
  try {
    (await backend.createModel(ENCODER_SPEC, undefined, { seed: 7 })).dispose();
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!isUserError(error) || message.includes('\n'))
      throw new ConformanceFailure(
        `createModel of the encoder fixture should succeed or refuse in one line (a user error), got: ${message}`,
      );
    return message;
  }
}

/** The skip of a sequence check on a backend that refuses sequence models, with its refusal. */
export async function skipUnlessSequences(backend: Backend): Promise<{ skipped: string } | undefined> {
  const refusal = await sequenceRefusal(backend);
  return refusal === undefined ? undefined : { skipped: `the backend refuses sequence models: ${refusal}` };
}
