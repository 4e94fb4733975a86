import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { deviceName, type Device } from '@headstart/core';
import type { InferenceSession } from 'onnxruntime-node';
import type { OrtModule } from './runtime.js';

/** onnxruntime's name of the execution provider behind each device kind. */
const PROVIDER: Record<Device['kind'], string> = { cpu: 'cpu', cuda: 'cuda', dml: 'dml', coreml: 'coreml' };

/**
 * The execution provider library a provider loads at session creation when onnxruntime-node lists
 * it as not bundled (CUDA: the install script downloads it only when asked; docs/gpu.md).
 */
const PROVIDER_LIBRARY: Partial<Record<string, Partial<Record<NodeJS.Platform, string>>>> = {
  cuda: { linux: 'libonnxruntime_providers_cuda.so', win32: 'onnxruntime_providers_cuda.dll' },
};

/** What onnxruntime-node offers here: device kinds it can compute on, and one line on each one it cannot. */
export interface DeviceSupport {
  devices: Device['kind'][];
  /** Why a provider the binary knows is unusable here, e.g. CUDA's library not installed. */
  missing: string[];
}

/**
 * The device kinds this onnxruntime-node can run: `cpu`, plus each provider of `listSupportedBackends()`
 * that is bundled or whose library was installed beside the binding. Whether a GPU and its drivers
 * are there shows only when a session starts ({@link createSession} then fails in one line).
 */
export function deviceSupport(ort: OrtModule, bindingFolder = defaultBindingFolder()): DeviceSupport {
  const listed = typeof ort.listSupportedBackends === 'function' ? ort.listSupportedBackends() : [];
  const support: DeviceSupport = { devices: ['cpu'], missing: [] };
  for (const kind of ['cuda', 'dml', 'coreml'] as const) {
    const backend = listed.find((b) => b.name === PROVIDER[kind]);
    if (!backend) continue;
    const library = PROVIDER_LIBRARY[backend.name]?.[process.platform];
    if (backend.bundled || (library && bindingFolder && existsSync(join(bindingFolder, library)))) support.devices.push(kind);
    else
      support.missing.push(
        `${kind}: this onnxruntime-node supports it, but ${library ?? 'its provider library'} is not installed (docs/gpu.md)`,
      );
  }
  return support;
}

/** The execution providers of a session on `device`: that provider alone, so nothing silently runs elsewhere. */
export function executionProviders(device: Device | undefined): InferenceSession.ExecutionProviderConfig[] {
  if (!device || device.kind === 'cpu') return ['cpu'];
  if (device.index === undefined) return [PROVIDER[device.kind]];
  if (device.kind === 'cuda') return [{ name: 'cuda', deviceId: device.index }];
  if (device.kind === 'dml') return [{ name: 'dml', deviceId: device.index }];
  return [PROVIDER[device.kind]];
}

/** `onnx/onnxruntime-node`, with the device when it is not the CPU: what a model's `engine` says. */
export function engineName(device: Device | undefined): string {
  return device && device.kind !== 'cpu' ? `onnx/onnxruntime-node on ${deviceName(device)}` : 'onnx/onnxruntime-node';
}

/** The folder holding onnxruntime-node's native binding for this platform, where provider libraries go. */
function defaultBindingFolder(): string | undefined {
  try {
    const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
    return join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined;
  }
}
