import { describeBackendConformance } from './describe-conformance.js';
import { createReferenceBackend } from './reference/reference-backend.js';

// The suite registered the way a third-party backend registers it, run against the float64
// reference itself: every check passes but export.round-trip, which shows as skipped (no export).
describeBackendConformance('float64 reference', () => createReferenceBackend(), {
  skip: { 'float64.optimizer-state': 'covered by the float64.train.* checks here' },
});
