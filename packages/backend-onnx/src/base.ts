import { HeadstartError, validateSpec, type Availability, type Backend, type Device } from '@headstart/core';
import { givenWeights } from '@headstart/core/backend-kit';
import { exportOnnxModel } from './interop/export-model.js';
import { createOnnxModel } from './runtime/model.js';
import { ONNX_FORMAT } from './interop/onnx-format.js';
import { importOnnxModel } from './interop/onnx-import.js';
import { probeOnnx } from './runtime/probe.js';
import { requireRuntime } from './runtime/runtime.js';
import type { SessionSettings } from './runtime/session.js';
import { VERSION } from './version.js';

export { LEAKY_RELU_SLOPE } from './compiler/ops/activations.js';
export { forwardWork, PARALLEL_WORK_THRESHOLD, THREADS_VARIABLE, threadsFor } from './runtime/threads.js';
export { VERSION } from './version.js';
export { SPEC_METADATA_KEY } from './interop/export-model.js';
export { ONNX_FORMAT } from './interop/onnx-format.js';

/** Options of {@link createOnnxBackend}. */
export interface OnnxBackendOptions {
  /**
   * Intra-op threads per session. Default: `HEADSTART_ONNX_THREADS`, else per session: 1 when a run
   * (forward work × batch) is below {@link PARALLEL_WORK_THRESHOLD} multiply-adds, all cores (up to 4) above.
   */
  threads?: number | undefined;
  /** Device every session runs on (an execution provider, never falling back to the CPU); default: the CPU. */
  device?: Device | undefined;
}

/**
 * The onnxruntime-node backend: it compiles each ModelSpec into ONNX graphs (forward, and a train
 * step with gradients and optimizer in the graph) and runs them with onnxruntime. Creating it has no
 * side effects; onnxruntime-node is loaded on `probe()` or the first `createModel()`.
 */
export function createOnnxBackend(options: OnnxBackendOptions = {}): Backend {
  const runtime = (): Promise<SessionSettings['ort']> => requireRuntime();
  return {
    name: 'onnx',
    meta: { version: VERSION, description: 'onnxruntime-node running forward and train-step graphs compiled by headstart' },
    probe: async (): Promise<Availability> => probeOnnx(),
    async createModel(spec, weights, createOptions) {
      const given = givenWeights(validateSpec(spec), weights, createOptions?.fresh);
      const ort = await runtime().catch((error: unknown) => {
        throw new HeadstartError('NOT_SUPPORTED', `onnx: ${error instanceof Error ? error.message : String(error)}`);
      });
      const settings = {
        ort,
        ...(options.threads ? { threads: options.threads } : {}),
        ...(options.device ? { device: options.device } : {}),
      };
      return createOnnxModel(spec, given, settings, createOptions?.seed ?? 0);
    },
    formats: [ONNX_FORMAT],
    importModel: (file) => importOnnxModel(file),
    exportModel: (model, format, file) => exportOnnxModel(model, format, file),
    onDevice: (device) => createOnnxBackend({ ...options, device }),
  };
}
