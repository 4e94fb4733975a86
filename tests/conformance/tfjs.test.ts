import { createTfjsBackend } from '@headstart/backend-tfjs';
import { describeBackendConformance } from '@headstart/conformance';

// tfjs-node is not installed here: dense-only models run on the wasm engine, models with
// convolutions on the pure-JS cpu engine (wasm lacks their gradients), so both are checked.
describeBackendConformance('tfjs', () => createTfjsBackend({ note: () => undefined }));
