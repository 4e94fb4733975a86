import { asPair, inferShapes, sizeOf, type ModelSpec } from '@headstart/core';
import { availableParallelism } from 'node:os';

/** Environment variable that fixes the intra-op thread count of every session. */
export const THREADS_VARIABLE = 'HEADSTART_ONNX_THREADS';

/**
 * Work per run (batch × {@link threadWork} per sample) from which a session uses every core (up to 4)
 * rather than one. Measured on 2 shared cores with the threads not spinning (bench/README.md, "Intra-op
 * threads without spinning"; steps of 1 and 2 threads alternated in one process, load ≈ 12–16): the
 * 64-256-256-10 MLP (≈ 84 k multiply-adds per sample, all matrix products) is 2.2–2.5× faster on two
 * threads at batch 48–64, the same at 8 and 24–32; the small CNN (≈ 660 k, nearly all convolution) is
 * 20–30 % slower on two at batch 4–12 and within ±10 % at 16–64. Matrix products count twice, so the MLP
 * gets two threads from batch 48 and the CNN from batch 16, where it did before.
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
  return threadWork(spec) * batch >= PARALLEL_WORK_THRESHOLD ? Math.max(1, Math.min(cores, 4)) : 1;
}

/**
 * One sample's work as the thread rule weighs it: {@link forwardWork} with the matrix products (dense
 * and attention layers) counted twice — onnxruntime splits a Gemm across threads with little overhead,
 * while a small convolution's many training nodes (im2col pieces, transposed convolutions) do not pay
 * for the hand-offs.
 */
export function threadWork(spec: ModelSpec): number {
  const { matrix, convolution } = workByKind(spec);
  return 2 * matrix + convolution;
}

/** Multiply-adds of one sample's forward pass through dense, conv and attention layers. */
export function forwardWork(spec: ModelSpec): number {
  const { matrix, convolution } = workByKind(spec);
  return matrix + convolution;
}

/** One sample's forward multiply-adds in matrix products (dense, attention) and in convolutions. */
function workByKind(spec: ModelSpec): { matrix: number; convolution: number } {
  let matrix = 0;
  let convolution = 0;
  for (const { layer, inputShape, outputShape } of inferShapes(spec)) {
    if (layer.type === 'dense') matrix += sizeOf(inputShape) * layer.units;
    if (layer.type === 'attention') matrix += sizeOf(inputShape) * (4 * inputShape[1]! + 2 * inputShape[0]!);
    if (layer.type === 'conv2d') {
      const [kh, kw] = asPair(layer.kernelSize);
      convolution += (sizeOf(outputShape) * kh * kw * inputShape[2]!) / (layer.groups ?? 1);
    }
  }
  return { matrix, convolution };
}
