import { deviceName, HeadstartError, type Device, type ModelSpec } from '@headstart/core';
import type { InferenceSession } from 'onnxruntime-node';
import { encodeModel, type ModelProto } from '../onnx/onnx-proto.js';
import { executionProviders } from './devices.js';
import type { OrtModule } from './runtime.js';
import { threadsFor, threadsFromEnvironment } from './threads.js';

/** How sessions are created: the runtime, a fixed intra-op thread count if one was asked for, and the device. */
export interface SessionSettings {
  ort: OrtModule;
  /** Fixed thread count; default: chosen per session by {@link threadsFor}. */
  threads?: number | undefined;
  /** Device every session runs on; default: the CPU. */
  device?: Device | undefined;
}

/**
 * An inference session for one of our graphs of `spec`, sized for runs of about `batch` samples.
 * Sequential execution and one inter-op thread: our graphs are chains with little parallelism between
 * nodes, and small batches pay for thread hand-offs.
 * @throws HeadstartError (NOT_SUPPORTED) in one line when the device's execution provider cannot start.
 */
export async function createSession(
  settings: SessionSettings,
  model: ModelProto,
  spec: ModelSpec,
  batch: number,
): Promise<InferenceSession> {
  const options = sessionOptions(settings, spec, batch);
  const device = settings.device;
  if (!device || device.kind === 'cpu') return settings.ort.InferenceSession.create(encodeModel(model), options);
  return settings.ort.InferenceSession.create(encodeModel(model), options).catch((error: unknown) => {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `onnx: device ${deviceName(device)}: onnxruntime could not start its execution provider (${reason}); see docs/gpu.md`,
    );
  });
}

/**
 * The options {@link createSession} gives onnxruntime for our compiled graphs: {@link baseSessionOptions}
 * with the thread count by work, sequential execution and the device's execution providers.
 */
export function sessionOptions(settings: SessionSettings, spec: ModelSpec, batch: number): InferenceSession.SessionOptions {
  return {
    ...baseSessionOptions(settings.threads ?? threadsFor(spec, batch)),
    executionProviders: executionProviders(settings.device),
    executionMode: 'sequential',
    interOpNumThreads: 1,
    enableCpuMemArena: true,
    enableMemPattern: true,
  };
}

/**
 * What every session the backend opens has, ours and imported graphs alike (opaque blocks, the import's
 * shape probe): `threads` intra-op threads (default: the environment's {@link threadsFromEnvironment},
 * else onnxruntime's own, one per physical core), and threads that do not spin while they wait for work:
 * on a machine other processes share, a spinning thread holds a core its sibling needs, and a 2-thread
 * step then took 1.8–2.4× as long as without spinning (bench/README.md, "transformer").
 */
export function baseSessionOptions(threads = threadsFromEnvironment()): InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: 'all',
    ...(threads !== undefined ? { intraOpNumThreads: threads } : {}),
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}
