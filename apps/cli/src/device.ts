import { CPU, deviceName, DEVICE_SPELLINGS, parseDevice, type Availability, type Backend, type Device } from '@headstart/core';
import { CliError } from './cli-error.js';

/**
 * The device `--device` (or a pipeline's `device:`) names; the CPU when it is not given.
 * @param label how the message names the value: `--device`, or `pipeline.yaml: device`.
 * @throws CliError naming the value and the spellings expected.
 */
export function readDevice(text: string | undefined, label = '--device'): Device {
  if (text === undefined) return CPU;
  const device = parseDevice(text);
  if (!device) throw new CliError(`${label} ${JSON.stringify(text)}: expected ${DEVICE_SPELLINGS}`);
  return device;
}

/**
 * A started backend computing on `device`: itself for the CPU, else what its `onDevice` returns.
 * Never a fallback: a device the backend cannot use here is refused.
 * @throws CliError (exit 2) naming the device and the devices the backend can use here.
 */
export function onDevice<T extends { backend: Backend; availability: Availability }>(started: T, device: Device, label = '--device'): T {
  if (device.kind === 'cpu') return started;
  const { backend, availability } = started;
  const available = availability.devices ?? ['cpu'];
  if (!backend.onDevice || !available.includes(device.kind))
    throw new CliError(
      `${label} ${deviceName(device)}: the ${backend.name} backend cannot compute on ${device.kind} here (available: ${available.join(', ')}); GPU set-up: docs/gpu.md`,
    );
  return { ...started, backend: backend.onDevice(device) };
}
