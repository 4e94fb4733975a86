import { getRegistry, validateSpec } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test, vi } from 'vitest';

describe('tfjs engine choice', () => {
  test('importing the package registers "tfjs" without choosing a tfjs backend', async () => {
    await import('@headstart/backend-tfjs');
    expect(getRegistry().list('backend').find((e) => e.name === 'tfjs')).toMatchObject({ source: '@headstart/backend-tfjs', status: 'active' });
    // Nothing has selected (and so initialised) a tfjs backend yet.
    expect(tf.engine().backendName).toBeFalsy();
  });

  test('probe falls back to the cpu engine when tfjs-node is missing, saying so once', async () => {
    const { createTfjsBackend } = await import('./base.js');
    const notes: string[] = [];
    const warn = vi.spyOn(console, 'warn');
    const backend = createTfjsBackend({ note: (message) => notes.push(message) });
    const availability = await backend.probe();
    expect(availability).toEqual({
      available: true,
      engine: 'cpu',
      reasons: [
        'tfjs-node is not installed (npm i @tensorflow/tfjs-node for native speed); using the cpu engine',
        'using the cpu engine (tfjs backend "cpu")',
      ],
      details: { tfjsVersion: '4.22.0' },
    });
    expect(notes).toEqual(['tfjs-node is not installed (npm i @tensorflow/tfjs-node for native speed); using the cpu engine']);
    expect(tf.getBackend()).toBe('cpu');
    await backend.probe();
    const model = await backend.createModel(validateSpec({ inputShape: [2], layers: [{ type: 'dense', name: 'd', units: 1 }] }));
    expect(model.engine).toBe('tfjs/cpu');
    await model.predict(Float32Array.of(1, 2), 1);
    model.dispose();
    expect(notes).toHaveLength(1);
    // tfjs's own "install tfjs-node" banner is silenced: the note above said it once already.
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  test('the registry starts the backend through probe', async () => {
    const started = await getRegistry().backend('tfjs');
    expect(started.availability.engine).toBe('cpu');
    expect(started.backend.name).toBe('tfjs');
  });
});
