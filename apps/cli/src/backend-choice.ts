import { getRegistry, type Availability, type Backend } from '@headstart/core';

/** Without `--backend`, the fastest that works here: onnxruntime, then TensorFlow.js, then any other. */
export const BACKEND_PREFERENCE = ['onnx', 'tfjs'];

/** The backend named by `--backend`, or the preferred available one. */
export function startBackend(name?: string): Promise<{ backend: Backend; availability: Availability }> {
  return getRegistry().backend(name, BACKEND_PREFERENCE);
}
