import type { ModelSpec } from '@headstart/core';
import type { InferenceSession } from 'onnxruntime-node';
import { encodeModel, type ModelProto } from '../onnx/onnx-proto.js';
import type { OrtModule } from './runtime.js';
import { threadsFor } from './threads.js';

/** How sessions are created: the runtime, and a fixed intra-op thread count if one was asked for. */
export interface SessionSettings {
  ort: OrtModule;
  /** Fixed thread count; default: chosen per session by {@link threadsFor}. */
  threads?: number | undefined;
}

/**
 * An inference session for one of our graphs of `spec`, sized for runs of about `batch` samples.
 * Sequential execution and one inter-op thread: our graphs are chains with little parallelism between
 * nodes, and small batches pay for thread hand-offs.
 */
export function createSession(settings: SessionSettings, model: ModelProto, spec: ModelSpec, batch: number): Promise<InferenceSession> {
  return settings.ort.InferenceSession.create(encodeModel(model), {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: settings.threads ?? threadsFor(spec, batch),
    interOpNumThreads: 1,
    enableCpuMemArena: true,
    enableMemPattern: true,
  });
}
