import { expect, test, vi } from 'vitest';

// An installed tfjs-node whose native library fails to load (a broken or offline install).
vi.mock('@tensorflow/tfjs-node', () => {
  throw new Error('libtensorflow.so.2: cannot open shared object file');
});

test('a tfjs-node that fails to load is reported and the wasm and cpu engines are used', async () => {
  const { createTfjsBackend } = await import('../base.js');
  const notes: string[] = [];
  const availability = await createTfjsBackend({ note: (message) => notes.push(message) }).probe();
  expect(availability.engine).toBe('wasm+cpu');
  expect(availability.reasons[0]).toMatch(/^tfjs-node is installed but failed to load \(.+\)$/);
  expect(notes).toEqual([availability.reasons[0]]);
});
