import type { WindowGeometry } from '@headstart/core/backend-kit';

// The geometry itself is core's, so that every backend pads alike.
export { windowGeometry, type WindowGeometry } from '@headstart/core/backend-kit';

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
