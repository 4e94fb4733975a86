import { isChain, type Backend, type Batch, type StepResult, type Trainer } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { brokenBackend, chainOnlyBackend, nudgeMovingMeans } from './__fixtures__/broken-backends.js';
import { conformanceChecks } from './all-checks.js';
import { runConformance } from './run-conformance.js';
import { createReferenceBackend } from './reference/reference-backend.js';
import type { ConformanceReport } from './check.js';

function failed(report: ConformanceReport): string[] {
  return report.results.filter((r) => r.status === 'failed').map((r) => r.id);
}

describe('runConformance', () => {
  test('the float64 reference passes against itself; the capability it lacks is skipped with the reason', async () => {
    const report = await runConformance(() => createReferenceBackend(), {
      reference: () => createReferenceBackend(),
      checks: ['weights.*', 'float64.predict.*', 'train.*', 'checkpoint.*', 'export.*', 'reference.continue'],
    });
    expect(failed(report)).toEqual([]);
    expect(report).toMatchObject({ backend: 'float64-reference', engine: 'float64', passed: true });
    expect(report.results.find((r) => r.id === 'export.round-trip')).toMatchObject({
      status: 'skipped',
      reason: 'backend "float64-reference" has no exportModel (an optional capability)',
    });
    const predictions = report.results.find((r) => r.id === 'float64.predict.cnn')!;
    expect(predictions.measurements).toEqual([{ what: 'predictions of 5 samples', maxDifference: 0, tolerance: 1e-4 }]);
  });

  test('predictions off by 2e-4 fail every prediction check, naming the value', async () => {
    const report = await runConformance(() => brokenBackend({ predict: (y) => y.map((v) => v + 2e-4) }), {
      checks: ['float64.predict.*', 'float64.train.sgd'],
    });
    expect(failed(report)).toEqual([
      'float64.predict.mlp',
      'float64.predict.cnn',
      'float64.predict.strided',
      'float64.predict.residual',
      'float64.predict.inverted-residual',
      'float64.predict.concat',
    ]);
    expect(report.results[0]!.reason).toMatch(
      /^predictions of 5 samples: \[0\] is 0\.\d+ but expected 0\.\d+ \(difference 2\.00e-4 > 1\.00e-4\)$/,
    );
  });

  test('a trainer ignoring the schedule factor fails the scenarios that scale the learning rate', async () => {
    const report = await runConformance(() => brokenBackend({ step: (inner, _model, batch) => inner(batch, 1) }), {
      checks: ['float64.train.*'],
    });
    expect(failed(report)).toEqual(['float64.train.sgd', 'float64.train.adamw', 'float64.train.residual', 'float64.train.concat']);
    expect(report.results.find((r) => r.id === 'float64.train.sgd')!.reason).toMatch(/^weights after step 2: "/);
  });

  test('batch-norm statistics drifting while frozen fail the freezing checks, bit for bit', async () => {
    const drift = brokenBackend({
      step: async (inner, model, batch, lrScale) => {
        const result = await inner(batch, lrScale);
        await nudgeMovingMeans(model, 1e-7);
        return result;
      },
    });
    const report = await runConformance(() => drift, { checks: ['train.*', 'checkpoint.resume'] });
    expect(failed(report)).toEqual(['train.frozen-parameters', 'train.frozen-batch-norm', 'train.frozen-graph']);
    expect(report.results[0]!.reason).toMatch(
      /^frozen parameters and batch-norm statistics: "bn1\.movingMean"\[0\] is .* \(difference .* > 0: must be bit-identical\)$/,
    );
  });

  test("train.step-many passes a stepMany that is step after step, fails one that drops the last batch's lr scale, and skips a trainer without one", async () => {
    const stepByStep = async (step: Trainer['step'], batches: readonly Batch[], lrScales: readonly number[]): Promise<StepResult[]> => {
      const results: StepResult[] = [];
      for (const [i, batch] of batches.entries()) results.push(await step(batch, lrScales[i]!));
      return results;
    };
    const faithful = await runConformance(() => brokenBackend({ stepMany: stepByStep }), { checks: ['train.step-many'] });
    expect(faithful.results).toMatchObject([{ id: 'train.step-many', status: 'passed' }]);
    expect(faithful.results[0]!.measurements.map((m) => [m.what, m.tolerance])).toEqual([
      ['losses of the steps', 0],
      ['weights and batch-norm statistics after the steps', 0],
      ['optimizer state after the steps', 0],
      ['loss of a single step after them', 0],
    ]);

    const dropsLastScale = brokenBackend({
      stepMany: (step, batches, lrScales) =>
        stepByStep(
          step,
          batches,
          lrScales.map((s, i) => (i === lrScales.length - 1 ? 1 : s)),
        ),
    });
    const broken = await runConformance(() => dropsLastScale, { checks: ['train.step-many'] });
    expect(failed(broken)).toEqual(['train.step-many']);
    expect(broken.results[0]!.reason).toMatch(
      /^weights and batch-norm statistics after the steps: "[\w.]+"\[\d+\] is \S+ but expected \S+ \(difference \S+ > 0: must be bit-identical\)$/,
    );

    const without = await runConformance(() => createReferenceBackend(), { checks: ['train.step-many'] });
    expect(without.results).toMatchObject([
      {
        status: 'skipped',
        reason: 'backend "float64-reference" has a trainer without stepMany (an optional capability; core\'s fit loop calls step instead)',
      },
    ]);
  });

  test('train.step-options passes the reference, fails a step that reads only a positional lrScale or ignores an unknown option', async () => {
    const passed = await runConformance(() => createReferenceBackend(), { checks: ['train.step-options'] });
    expect(passed.results).toMatchObject([{ id: 'train.step-options', status: 'passed' }]);

    // A backend written before StepOptions: { lrScale: 0.5 } reaches it as no factor at all, and it trains at 1.
    const positionalOnly = brokenBackend({
      step: (inner, _model, batch, options) => inner(batch, typeof options === 'number' ? options : 1),
    });
    const stale = await runConformance(() => positionalOnly, { checks: ['train.step-options'] });
    expect(failed(stale)).toEqual(['train.step-options']);
    expect(stale.results[0]!.reason).toMatch(
      /^losses of the steps: \[\d\] is \S+ but expected \S+ \(difference \S+ > 0: must be bit-identical\)$/,
    );

    const lenient = brokenBackend({
      step: (inner, _model, batch, options) => inner(batch, typeof options === 'object' ? { lrScale: options.lrScale } : options),
    });
    const ignoring = await runConformance(() => lenient, { checks: ['train.step-options'] });
    expect(failed(ignoring)).toEqual(['train.step-options']);
    expect(ignoring.results[0]!.reason).toBe('step(batch, { lrscale: 0.5 }) trained instead of refusing the unknown option lrscale');
  });

  test('a trainer that drops restored optimizer state fails the resume check', async () => {
    const report = await runConformance(() => brokenBackend({ dropsState: true }), { checks: ['checkpoint.*'] });
    expect(failed(report)).toEqual(['checkpoint.resume']);
  });

  test('a backend that fills missing weights with fresh values fails weights.missing', async () => {
    const report = await runConformance(() => brokenBackend({ fillsMissingWeights: true }), { checks: ['weights.*'] });
    expect(failed(report)).toEqual(['weights.missing']);
  });

  test('an unavailable backend fails every check with its reasons', async () => {
    const report = await runConformance(() => brokenBackend({ unavailable: true }), { checks: ['weights.*'] });
    expect(report.passed).toBe(false);
    expect(report.results.map((r) => r.reason)).toEqual(
      Array(3).fill('the tested backend "broken" is not available here: no engine in this test'),
    );
  });

  test('skips carry their reason; unknown ids are refused with the list of checks', async () => {
    const report = await runConformance(() => createReferenceBackend(), {
      checks: ['weights.initializer'],
      skip: { 'weights.initializer': 'seeded by another RNG' },
    });
    expect(report.results).toMatchObject([{ id: 'weights.initializer', status: 'skipped', reason: 'seeded by another RNG' }]);
    await expect(runConformance(() => createReferenceBackend(), { skip: { 'export.roundtrip': 'typo' } })).rejects.toThrow(
      /^conformance: skip: "export\.roundtrip" matches no check \(reference\.\* checks need the reference option\); the checks are weights\.initializer, /,
    );
    await expect(runConformance(() => createReferenceBackend(), { checks: ['reference.*'] })).rejects.toThrow(
      'checks: "reference.*" matches no check',
    );
  });

  test('check ids are unique, and reference.* checks exist only with a reference', () => {
    const ids = conformanceChecks({ reference: true }).map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(conformanceChecks().some((c) => c.id.startsWith('reference.'))).toBe(false);
    expect(ids.filter((id) => id.startsWith('reference.')).length).toBe(ids.filter((id) => id.startsWith('float64.')).length + 1);
  });

  test('graph.refusal: a one-line user error passes; an unexpected error fails naming it; a backend that creates graphs skips', async () => {
    const chainOnly = await runConformance(() => chainOnlyBackend(), { checks: ['graph.refusal'] });
    expect(chainOnly.results).toMatchObject([{ id: 'graph.refusal', status: 'passed' }]);
    const inner = createReferenceBackend();
    const crashes: Backend = {
      ...inner,
      name: 'crashes',
      createModel: async (spec, w, o) =>
        isChain(spec) ? inner.createModel(spec, w, o) : Promise.reject(new Error('reached the chain compiler')),
    };
    const crashed = await runConformance(() => crashes, { checks: ['graph.refusal', 'float64.predict.residual'] });
    const crash =
      'createModel of a graph model threw an unexpected error (not a user error, so the CLI shows a stack): reached the chain compiler';
    expect(crashed.results).toMatchObject([
      { status: 'failed', reason: crash },
      { status: 'failed', reason: crash },
    ]);
    const accepted = await runConformance(() => createReferenceBackend(), { checks: ['graph.refusal'] });
    expect(accepted.results).toMatchObject([{ status: 'skipped', reason: 'the backend creates graph models' }]);
  });

  test('a chain-only backend skips every graph check with its one-line refusal, and still passes the chain checks', async () => {
    const report = await runConformance(() => chainOnlyBackend(), {
      checks: ['float64.predict.*', 'float64.train.residual', 'train.frozen-graph', 'export.graph-round-trip'],
    });
    const refusal =
      'the backend runs chains of layers only (it refuses graph models: layer "res1": graph models (add, concat, branches) are not supported by the chain-only backend yet)';
    expect(report.results.map((r) => [r.id, r.status, r.reason])).toEqual([
      ['float64.predict.mlp', 'passed', undefined],
      ['float64.predict.cnn', 'passed', undefined],
      ['float64.predict.strided', 'passed', undefined],
      ['float64.predict.residual', 'skipped', refusal],
      ['float64.predict.inverted-residual', 'skipped', refusal],
      ['float64.predict.concat', 'skipped', refusal],
      ['float64.train.residual', 'skipped', refusal],
      ['train.frozen-graph', 'skipped', refusal],
      ['export.graph-round-trip', 'skipped', 'backend "chain-only" has no exportModel (an optional capability)'],
    ]);
  });

  test('a backend that reads the graph wrongly fails the graph checks it shows in, naming the value', async () => {
    // PyTorch's padding=1 with stride 2 read as 'same' (pads 0 before, 1 after): only the two residual networks have it.
    const samePads = brokenBackend({
      computes: (spec) => ({
        ...spec,
        layers: spec.layers.map((l) => (l.type === 'conv2d' && l.padding === 1 && l.strides === 2 ? { ...l, padding: 'same' } : l)),
      }),
    });
    const padded = await runConformance(() => samePads, { checks: ['float64.predict.*', 'float64.train.residual', 'train.frozen-graph'] });
    expect(failed(padded)).toEqual(['float64.predict.residual', 'float64.predict.inverted-residual', 'float64.train.residual']);
    expect(padded.results.find((r) => r.id === 'float64.predict.residual')!.reason).toMatch(
      /^predictions of 5 samples: \[\d+\] is \S+ but expected \S+ \(difference \S+ > \S+\)$/,
    );
    // Concat's inputs taken in listing order rather than the order `inputs` gives.
    const listingOrder = brokenBackend({
      computes: (spec) => ({
        ...spec,
        layers: spec.layers.map((l) => (l.type === 'concat' ? { ...l, inputs: ['branch3x3', 'branch1x1', 'branchPool'] } : l)),
      }),
    });
    const concatenated = await runConformance(() => listingOrder, { checks: ['float64.predict.concat', 'float64.train.concat'] });
    expect(failed(concatenated)).toEqual(['float64.predict.concat', 'float64.train.concat']);
  });
});
