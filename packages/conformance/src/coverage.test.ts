import { activationSchema, trainingOptionsSchema, WRITABLE_LAYER_TYPES } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { conformanceChecks } from './all-checks.js';
import { coreTables, exercisedBy, uncovered } from './coverage.js';

/** The checks that compare a backend's numbers with the float64 reference: what "covered" means. */
const FLOAT64_CHECKS = conformanceChecks().filter((check) => check.id.startsWith('float64.'));
const without = (...ids: string[]) => FLOAT64_CHECKS.filter((check) => !ids.includes(check.id));

describe('coverage of core tables by the conformance checks', () => {
  test("every layer type, activation and optimizer of core's tables is compared with the float64 reference by some check", () => {
    expect(uncovered(FLOAT64_CHECKS)).toEqual([]);
  });

  test("the tables are core's: writable layer types (no import-only opaque block), activations, optimizers", () => {
    expect(coreTables()).toEqual({
      layerTypes: WRITABLE_LAYER_TYPES,
      activations: activationSchema.options,
      optimizers: trainingOptionsSchema.shape.optimizer.unwrap().options,
    });
    expect(coreTables().layerTypes).toContain('concat');
    expect(coreTables().layerTypes).not.toContain('onnx');
    expect(coreTables().activations).toContain('relu6');
  });

  test('a layer type, activation or optimizer that no check exercises is named', () => {
    expect(uncovered(without('float64.predict.inverted-residual', 'float64.train.inverted-residual'))).toEqual(['activation "relu6"']);
    expect(uncovered(without('float64.predict.concat', 'float64.train.concat'))).toEqual(['layer type "concat"']);
    expect(uncovered(without('float64.train.adamw', 'float64.train.concat'))).toEqual(['optimizer "adamw"']);
    const tables = { ...coreTables(), layerTypes: [...coreTables().layerTypes, 'lstm'] };
    expect(uncovered(FLOAT64_CHECKS, tables)).toEqual(['layer type "lstm"']);
  });

  test('what a check exercises comes from its fixture specs (activations of dense, conv2d and activation layers) and optimizers', () => {
    const [residual] = FLOAT64_CHECKS.filter((check) => check.id === 'float64.train.residual');
    expect(exercisedBy([residual!])).toEqual({
      layerTypes: ['conv2d', 'batchNorm', 'activation', 'maxPool2d', 'add', 'globalAvgPool2d', 'dense'],
      activations: ['linear', 'relu', 'softmax'],
      optimizers: ['sgd'],
    });
  });
});
