import { describe, expect, test } from 'vitest';
import { continuedPlan } from './continued-defaults.js';
import { defaultEpochs, epochsForSteps, stepsPerEpoch } from './small-data.js';

describe('defaults that depend on the data size', () => {
  test('epochs: 30, or enough for 300 steps on tiny data', () => {
    expect(stepsPerEpoch(45, 32)).toBe(2);
    expect(defaultEpochs(45, 32)).toBe(150);
    expect(defaultEpochs(10, 32)).toBe(300);
    // 30 epochs of 1000 samples are 960 steps: the budget changes nothing on larger data.
    expect(defaultEpochs(1000, 32)).toBe(30);
    expect(defaultEpochs(320, 32)).toBe(30);
    expect(epochsForSteps(100, 45, 32)).toBe(50);
    expect(epochsForSteps(100, 5000, 32)).toBe(1);
  });

  test('continued on tiny data with a new head: warm-up, then everything at 1e-3, all recorded', () => {
    const plan = continuedPlan({ batchSize: 32, samples: 45, replacedHead: true });
    expect(plan).toMatchObject({ headEpochs: 50, epochs: 150, lr: 1e-3, defaults: { headEpochs: 50, epochs: 150, lr: 1e-3 } });
    expect(plan.note).toBe(
      'continued: the new head alone first for 50 epochs (100 steps of batch 32 on 45 samples), then every weight for 150 epochs (300 steps of batch 32 on 45 samples) at lr 0.001; defaults chosen for this data: headEpochs=50, epochs=150, lr=0.001',
    );
  });

  test('a given --lr or --epochs means no warm-up and keeps its meaning', () => {
    expect(continuedPlan({ lr: 1e-3, epochs: 100, batchSize: 32, samples: 50, replacedHead: true })).toMatchObject({
      headEpochs: 0,
      epochs: 100,
      lr: 1e-3,
      defaults: { headEpochs: 0 },
    });
    expect(continuedPlan({ epochs: 7, batchSize: 32, samples: 50, replacedHead: true })).toMatchObject({
      headEpochs: 0,
      epochs: 7,
      lr: 1e-4,
    });
    expect(continuedPlan({ lr: 3e-4, batchSize: 32, samples: 50, replacedHead: true })).toMatchObject({
      headEpochs: 0,
      epochs: 150,
      lr: 3e-4,
    });
  });

  test('a kept head never warms up; every option given leaves nothing to record', () => {
    expect(continuedPlan({ batchSize: 32, samples: 2000, replacedHead: false })).toMatchObject({
      headEpochs: 0,
      epochs: 30,
      lr: 1e-4,
      defaults: { epochs: 30, lr: 1e-4 },
    });
    expect(continuedPlan({ lr: 1e-3, epochs: 5, batchSize: 32, samples: 50, replacedHead: false }).note).toBeUndefined();
    const given = continuedPlan({ lr: 1e-3, epochs: 5, headEpochs: 2, batchSize: 32, samples: 50, replacedHead: true });
    expect(given).toEqual({ headEpochs: 2, epochs: 5, lr: 1e-3, defaults: {} });
  });
});
