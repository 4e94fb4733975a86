import type { ModelSpec, ParameterShape } from '@headstart/core';

/** Canonical kernel `[kh, kw, in / groups, out]` → ONNX `[out, in / groups, kh, kw]`. */
export const KERNEL_TO_ONNX = [3, 2, 0, 1] as const;

/**
 * Where a graph takes conv2d kernels from. The live model keeps them in ONNX's layout (`onnx`: the
 * Conv reads them as they are and their gradients come out in that layout), so no training step
 * transposes a kernel; they are converted to the canonical layout only at the model's boundaries
 * (weights, optimizer state). An exported model bakes canonical kernels (`canonical`).
 */
export type KernelLayout = 'canonical' | 'onnx';

/** Whether a parameter is a conv2d kernel (the only parameters whose ONNX layout differs). */
export function isConvKernel(spec: ModelSpec, p: ParameterShape): boolean {
  return p.role === 'kernel' && spec.layers.some((l) => l.type === 'conv2d' && l.name === p.layer);
}

/** Parameter shapes in a layout: conv2d kernels permuted to ONNX's for `onnx`, the rest as they are. */
export function shapesIn(spec: ModelSpec, shapes: readonly ParameterShape[], layout: KernelLayout): ParameterShape[] {
  if (layout === 'canonical') return [...shapes];
  return shapes.map((p) => (isConvKernel(spec, p) ? { ...p, shape: KERNEL_TO_ONNX.map((axis) => p.shape[axis]!) } : p));
}

/** A copy of a row-major tensor with its axes permuted: `out.shape[i] = shape[perm[i]]`. */
export function permute(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const out = new Float32Array(data.length);
  const outShape = perm.map((axis) => shape[axis]!);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((n, d) => n * d, 1));
  const outStrides = perm.map((axis) => strides[axis]!);
  const index = new Array<number>(outShape.length).fill(0);
  for (let o = 0, source = 0; o < out.length; o++) {
    out[o] = data[source]!;
    // An odometer over the output's axes, moving the source offset by each axis's input stride.
    for (let axis = outShape.length - 1; axis >= 0; axis--) {
      source += outStrides[axis]!;
      if (++index[axis]! < outShape[axis]!) break;
      source -= outStrides[axis]! * outShape[axis]!;
      index[axis] = 0;
    }
  }
  return out;
}

/** Canonical `[kh, kw, in, out]` values → ONNX `[out, in, kh, kw]`, given the canonical shape. */
export function kernelToOnnx(data: Float32Array, canonicalShape: readonly number[]): Float32Array {
  return permute(data, canonicalShape, KERNEL_TO_ONNX);
}

/** ONNX `[out, in, kh, kw]` values → canonical `[kh, kw, in, out]`, given the canonical shape. */
export function kernelFromOnnx(data: Float32Array, canonicalShape: readonly number[]): Float32Array {
  const onnxShape = KERNEL_TO_ONNX.map((axis) => canonicalShape[axis]!);
  return permute(data, onnxShape, KERNEL_FROM_ONNX);
}

/** The inverse of {@link KERNEL_TO_ONNX}. */
const KERNEL_FROM_ONNX = [2, 3, 1, 0] as const;
