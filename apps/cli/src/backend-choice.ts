import { CPU, getRegistry, type Availability, type Backend, type Device } from '@headstart/core';
import { onDevice } from './device.js';
import { withTimeLimit } from './plugins/time-limit.js';

/** Without `--backend`, the fastest that works here: onnxruntime, then TensorFlow.js, then any other. */
export const BACKEND_PREFERENCE = ['onnx', 'tfjs'];

/**
 * The backend named by `--backend`, or the preferred available one, computing on `device`.
 * @param deviceLabel how a refusal names the device's source: `--device`, or a pipeline file's `device`.
 * @throws CliError when a backend's probe does not answer within the plugin time limit, or it cannot use `device`.
 */
export async function startBackend(
  name?: string,
  device: Device = CPU,
  deviceLabel = '--device',
): Promise<{ backend: Backend; availability: Availability }> {
  const started = await withTimeLimit(
    getRegistry().backend(name, BACKEND_PREFERENCE),
    name ? `backend "${name}": its probe()` : "the backends' probe()",
  );
  return onDevice(started, device, deviceLabel);
}
