import { isUserError, type Backend, type ModelSpec } from '@headstart/core';
import { ConformanceFailure } from '../conformance-failure.js';

/**
 * Whether a backend creates `spec`, asked once per backend: the one line it refuses it with, or
 * undefined when it creates it. `check` vets a refusal's message (the caller's rule for what it must
 * name); a refusal that is not a user error means a crash, not a capability, and fails the check.
 */
export function fixtureRefusal(
  spec: ModelSpec,
  what: string,
  check: (message: string) => void,
): (backend: Backend) => Promise<string | undefined> {
  const refusals = new WeakMap<Backend, Promise<string | undefined>>();
  const refusalOf = async (backend: Backend): Promise<string | undefined> => {
    try {
      (await backend.createModel(spec, undefined, { seed: 7 })).dispose();
      return undefined;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!isUserError(error))
        throw new ConformanceFailure(
          `createModel of ${what} threw an unexpected error (not a user error, so the CLI shows a stack): ${message}`,
        );
      check(message);
      return message;
    }
  };
  return (backend) => {
    let refusal = refusals.get(backend);
    if (!refusal) {
      refusal = refusalOf(backend);
      refusals.set(backend, refusal);
    }
    return refusal;
  };
}
