import { asPair, inferShapes, sizeOf, type ModelSpec } from '@headstart/core';
import { availableParallelism } from 'node:os';

/** Environment variable that fixes the intra-op thread count of every session. */
export const THREADS_VARIABLE = 'HEADSTART_ONNX_THREADS';

/**
 * Multiply-adds per run (forward work per sample × batch) from which a session uses every core (up
 * to 4) rather than one. First measured on 2 cores while the threads spun (README): the 64-256-256-10
 * MLP (≈83 k per sample) was fastest on one thread at batch 8–16 and lost 20–35 % on two at 32–64
 * when another process kept a core busy; the small CNN (≈650 k per sample) was 30–45 % faster
 * on two at batch 64. Measured again with the threads not spinning (bench/README.md, "Intra-op threads
 * without spinning"; steps of 1 and 2 threads alternated in one process): the MLP at batch 48–64 is
 * 2.2–2.5× faster on two threads at load 12–16 but takes 9–26 % longer a step on two at load 7–8,
 * where its one thread has a core; the small CNN is no faster on two at batch 4–64 (0.75–1.01×). Neither says where
 * a better single threshold lies, so it stays.
 */
export const PARALLEL_WORK_THRESHOLD = 8_000_000;

/** Batch size assumed for sessions created before any batch is seen (prediction, export checks). */
export const TYPICAL_BATCH = 256;

/** An explicit thread count from the environment, if it holds a positive integer. */
export function threadsFromEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): number | undefined {
  const asked = Number(env[THREADS_VARIABLE]);
  return Number.isInteger(asked) && asked > 0 ? asked : undefined;
}

/** Intra-op threads for a session running `batch` samples of `spec`: the environment's choice, else by work. */
export function threadsFor(spec: ModelSpec, batch: number, cores = availableParallelism()): number {
  const fixed = threadsFromEnvironment();
  if (fixed !== undefined) return fixed;
  return forwardWork(spec) * batch >= PARALLEL_WORK_THRESHOLD ? Math.max(1, Math.min(cores, 4)) : 1;
}

/** Multiply-adds of one sample's forward pass through dense, conv and attention layers. */
export function forwardWork(spec: ModelSpec): number {
  let work = 0;
  for (const { layer, inputShape, outputShape } of inferShapes(spec)) {
    if (layer.type === 'dense') work += sizeOf(inputShape) * layer.units;
    if (layer.type === 'attention') work += sizeOf(inputShape) * (4 * inputShape[1]! + 2 * inputShape[0]!);
    if (layer.type === 'conv2d') {
      const [kh, kw] = asPair(layer.kernelSize);
      work += (sizeOf(outputShape) * kh * kw * inputShape[2]!) / (layer.groups ?? 1);
    }
  }
  return work;
}
