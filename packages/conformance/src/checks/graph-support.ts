import { validateSpec, type Backend, type ModelSpec } from '@headstart/core';
import { ConformanceFailure } from '../conformance-failure.js';
import { fixtureRefusal } from './fixture-refusal.js';

/** A residual block: the smallest graph model (a layer taking other than the one before it, and a merge). */
const SMALLEST_GRAPH: ModelSpec = validateSpec({
  inputShape: [4],
  layers: [
    { type: 'dense', name: 'hidden', units: 4, activation: 'relu' },
    { type: 'add', name: 'res1', inputs: ['hidden', 'input'] },
    { type: 'dense', name: 'head', units: 2 },
  ],
});

/**
 * Whether `backend` runs chains of layers only: the one line it refuses the smallest graph model
 * with, or undefined when it creates graph models (every graph check then runs). Asked once per backend.
 * @throws ConformanceFailure when the refusal is not a one-line user error naming the layer that
 * makes the spec a graph (core's `requireChain` gives the right one): a chain-only backend must say
 * so, not crash, and graph checks must not pass by skipping after a crash.
 */
export const graphRefusal = fixtureRefusal(SMALLEST_GRAPH, 'a graph model', (message) => {
  if (message.includes('\n') || !message.includes('"res1"'))
    throw new ConformanceFailure(`the refusal of a graph model should be one line naming layer "res1", got: ${JSON.stringify(message)}`);
});

/** The skip of a graph check on a backend that refuses graph models, with its refusal. */
export async function skipUnlessGraphs(backend: Backend): Promise<{ skipped: string } | undefined> {
  const refusal = await graphRefusal(backend);
  return refusal === undefined ? undefined : { skipped: `the backend runs chains of layers only (it refuses graph models: ${refusal})` };
}
