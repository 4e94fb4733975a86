import type { Availability } from '@headstart/core';
import { availableParallelism } from 'node:os';
import { deviceSupport } from './devices.js';
import { loadRuntime } from './runtime.js';
import { PARALLEL_WORK_THRESHOLD, THREADS_VARIABLE, threadsFromEnvironment } from './threads.js';

/** Whether onnxruntime-node loads here, its version, the devices it can compute on, and how sessions choose their thread count. */
export async function probeOnnx(): Promise<Availability> {
  const loaded = await loadRuntime();
  if (!loaded.ort) return { available: false, reasons: [`onnxruntime-node could not load: ${loaded.error}`] };
  const cores = availableParallelism();
  const fixed = threadsFromEnvironment();
  const threads =
    fixed !== undefined
      ? `${fixed} intra-op thread(s) from ${THREADS_VARIABLE}`
      : `intra-op threads per session: 1 for small runs (fastest for small batches), ${Math.min(cores, 4)} from ${PARALLEL_WORK_THRESHOLD / 1e6} M multiply-adds per run (set ${THREADS_VARIABLE} to fix it)`;
  const support = deviceSupport(loaded.ort);
  return {
    available: true,
    engine: 'onnxruntime-node',
    devices: support.devices,
    reasons: [`onnxruntime-node ${loaded.version} loaded`, threads, ...support.missing],
    details: { onnxruntimeVersion: loaded.version, cores, intraOpThreads: fixed ?? `1 or ${Math.min(cores, 4)} by work per run` },
  };
}
