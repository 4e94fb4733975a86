import { CPU, getRegistry, type Availability, type Backend, type Device } from '@headstart/core';
import { onDevice } from './device.js';
import { createBuiltinBackends } from './plugins/create-builtin-backends.js';
import { requireInstalledBackend } from './plugins/optional-builtins.js';
import { withTimeLimit } from './plugins/time-limit.js';

/** Without `--backend`, the fastest that works here: onnxruntime, then TensorFlow.js, then any other. */
export const BACKEND_PREFERENCE = ['onnx', 'tfjs'];

/**
 * The backend named by `--backend`, or the preferred available one, computing on `device`.
 * @param deviceLabel how a refusal names the device's source: `--device`, or a pipeline file's `device`.
 * @param nameLabel how a refusal names the backend's source: `--backend`, or a pipeline file's `backend`.
 * @throws CliError when the backend asked for is an optional built-in not installed (saying how to install it), when a backend's probe does not answer within the plugin time limit, or it cannot use `device`.
 */
export async function startBackend(
  name?: string,
  device: Device = CPU,
  deviceLabel = '--device',
  nameLabel = '--backend',
): Promise<{ backend: Backend; availability: Availability }> {
  if (name !== undefined && !getRegistry().names('backend').includes(name)) requireInstalledBackend(name, nameLabel);
  if (name !== undefined) await createBuiltinBackends([name]);
  const started = await withTimeLimit(
    getRegistry().backend(name, BACKEND_PREFERENCE),
    name ? `backend "${name}": its probe()` : "the backends' probe()",
  );
  return onDevice(started, device, deviceLabel);
}
