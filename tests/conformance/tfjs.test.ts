import { createTfjsBackend } from '@headstart/backend-tfjs';
import { describeBackendConformance } from '@headstart/conformance';

// tfjs-node is not installed here: every model runs on the wasm engine, convolutions included (with the
// gradients headstart registers for it, packages/backend-tfjs/src/engine/wasm-conv-gradients.ts).
describeBackendConformance('tfjs', () => createTfjsBackend({ note: () => undefined }));
