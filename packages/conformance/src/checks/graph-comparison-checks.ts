import type { ConformanceCheck } from '../check.js';
import { graphInputs } from '../fixtures/graph-scenarios.js';
import { GRAPH_TRAINING_SCENARIOS } from '../fixtures/graph-scenarios.js';
import { GRAPH_FIXTURES } from '../fixtures/graph-specs.js';
import { sampleWeights } from '../fixtures/sample-data.js';
import { compareScenario, predictOn, type Expected } from './comparison-checks.js';
import { skipUnlessGraphs } from './graph-support.js';

type GraphName = keyof typeof GRAPH_FIXTURES;
const NAMES = Object.keys(GRAPH_FIXTURES) as GraphName[];

/**
 * The comparisons of graph models with `expected`: predictions and two training steps of each graph
 * fixture (residual, inverted residual, concat). Skipped, with its refusal, on a backend that runs
 * chains only.
 */
export function graphComparisonChecks(expected: Expected): ConformanceCheck[] {
  return [
    ...NAMES.map((name, index) => graphPredictionCheck(expected, name, index)),
    ...NAMES.map((name) => graphTrainingCheck(expected, name)),
  ];
}

function graphPredictionCheck(expected: Expected, name: GraphName, index: number): ConformanceCheck {
  const fixture = GRAPH_FIXTURES[name];
  return {
    id: `${expected.prefix}.predict.${name}`,
    title: `predictions of the ${name} graph model (${fixture.spec.layers.map((l) => l.type).join(', ')}) match ${expected.label}`,
    exercises: { specs: [fixture.spec] },
    async run(ctx) {
      const refused = await skipUnlessGraphs(ctx.backend);
      if (refused) return refused;
      const weights = sampleWeights(fixture.spec, 140 + index);
      const x = graphInputs(fixture, 5, 150 + index);
      const actual = await predictOn(ctx.backend, fixture.spec, weights, x, 5);
      ctx.expect.close('predictions of 5 samples', actual, await predictOn(expected.pick(ctx), fixture.spec, weights, x, 5));
    },
  };
}

function graphTrainingCheck(expected: Expected, name: GraphName): ConformanceCheck {
  const scenario = GRAPH_TRAINING_SCENARIOS[name];
  return {
    id: `${expected.prefix}.train.${name}`,
    title: `two training steps of a graph model give the losses, parameters and batch-norm statistics of ${expected.label}: ${scenario.description}`,
    exercises: { specs: [scenario.spec], optimizers: [scenario.trainer.optimizer.type] },
    async run(ctx) {
      const refused = await skipUnlessGraphs(ctx.backend);
      if (refused) return refused;
      await compareScenario(ctx, expected, scenario);
    },
  };
}
