import { asPair } from '@headstart/core';

/** Where a 2-D sliding window (convolution or pooling) goes over an `h × w` image. */
export interface WindowGeometry {
  kernel: [number, number];
  strides: [number, number];
  /** ONNX order: `[top, left, bottom, right]`. */
  pads: [number, number, number, number];
  input: [number, number];
  output: [number, number];
}

/**
 * Keras's geometry: `valid` uses no padding; `same` gives `ceil(size/stride)` outputs with the
 * padding split evenly and any odd pixel at the bottom/right (as TensorFlow and tfjs do).
 */
export function windowGeometry(
  input: [number, number],
  kernel: number | [number, number],
  strides: number | [number, number],
  padding: 'valid' | 'same',
): WindowGeometry {
  const k = asPair(kernel);
  const s = asPair(strides);
  const axis = (i: 0 | 1): { out: number; before: number; after: number } => {
    if (padding === 'valid') return { out: Math.floor((input[i] - k[i]) / s[i]) + 1, before: 0, after: 0 };
    const out = Math.ceil(input[i] / s[i]);
    const total = Math.max((out - 1) * s[i] + k[i] - input[i], 0);
    return { out, before: Math.floor(total / 2), after: total - Math.floor(total / 2) };
  };
  const [h, w] = [axis(0), axis(1)];
  return { kernel: k, strides: s, pads: [h.before, w.before, h.after, w.after], input, output: [h.out, w.out] };
}

/**
 * Attributes of the ConvTranspose that maps a gradient of the window's output back onto its input:
 * the forward's begin pads, and end pads or output padding chosen so the result is exactly `input`.
 */
export function transposeAttributes(g: WindowGeometry): { pads: number[]; outputPadding: number[] } {
  const end = (i: 0 | 1): [number, number] => {
    const extra = g.strides[i] * (g.output[i] - 1) + g.kernel[i] - g.pads[i] - g.input[i];
    return extra >= 0 ? [extra, 0] : [0, -extra];
  };
  const [h, w] = [end(0), end(1)];
  return { pads: [g.pads[0], g.pads[1], h[0], w[0]], outputPadding: [h[1], w[1]] };
}

/** Whether the geometry pads at all. */
export function isPadded(g: WindowGeometry): boolean {
  return g.pads.some((p) => p > 0);
}
