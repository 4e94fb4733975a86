import { expect, test } from 'vitest';
import { CheckpointError, DataError, HeadstartError, isUserError } from './errors.js';

test('an error from a second copy of core is still a HeadstartError, and a user error when its code says so', async () => {
  // A query string makes the module loader evaluate errors.ts again: a second copy, as a plugin bundling core would have.
  const secondCopy = './errors.js?second-copy';
  const copy = (await import(secondCopy)) as typeof import('./errors.js');
  expect(copy.HeadstartError).not.toBe(HeadstartError);
  const foreign = new copy.DataError('data.csv', 'bad cell', { line: 3 });
  expect(foreign instanceof HeadstartError).toBe(true);
  expect(isUserError(foreign)).toBe(true);
  expect(foreign instanceof DataError).toBe(false);
  expect(new Error('plain') instanceof HeadstartError).toBe(false);
  expect(new CheckpointError('m.safetensors', 'truncated') instanceof HeadstartError).toBe(true);
  expect(new HeadstartError('USAGE', 'x') instanceof CheckpointError).toBe(false);
});
