import { describe, expect, it } from 'vitest';
import * as core from './index.js';

// Renamed exports stay as aliases of the new ones, so code written against the old names still works.
describe('deprecated names', () => {
  it('fit is fitLoop and runTraining is runStrategy', () => {
    expect(core.fit).toBe(core.fitLoop);
    expect(core.runTraining).toBe(core.runStrategy);
  });
});
