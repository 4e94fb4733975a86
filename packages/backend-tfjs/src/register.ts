import { registerBackend } from '@headstart/core';

// Resolved, not loaded: a broken install (TensorFlow.js missing from under this package) still
// fails on import, as a plugin warning, while importing this entry stays cheap.
import.meta.resolve('@tensorflow/tfjs');

/**
 * Registers the "tfjs" backend without loading TensorFlow.js: the engine's ~1 s of start-up is paid
 * on the backend's first use, not by every process that only needs the name listed.
 */
registerBackend('tfjs', async () => (await import('./base.js')).createTfjsBackend(), { source: '@headstart/backend-tfjs' });
