import { getRegistry, type Availability, type Backend } from '@headstart/core';
import { withTimeLimit } from './plugins/time-limit.js';

/** Without `--backend`, the fastest that works here: onnxruntime, then TensorFlow.js, then any other. */
export const BACKEND_PREFERENCE = ['onnx', 'tfjs'];

/**
 * The backend named by `--backend`, or the preferred available one.
 * @throws CliError when a backend's probe does not answer within the plugin time limit.
 */
export function startBackend(name?: string): Promise<{ backend: Backend; availability: Availability }> {
  return withTimeLimit(getRegistry().backend(name, BACKEND_PREFERENCE), name ? `backend "${name}": its probe()` : "the backends' probe()");
}
