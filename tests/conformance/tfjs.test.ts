import { createTfjsBackend } from '@headstart/backend-tfjs';
import { describeBackendConformance } from '@headstart/conformance';

// tfjs-node is not installed here, so this runs the pure-JS cpu engine. The tfjs backend has no
// importModel/exportModel: export.round-trip reports itself skipped with that reason.
describeBackendConformance('tfjs', () => createTfjsBackend({ note: () => undefined }));
