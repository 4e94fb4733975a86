import { SpecError } from '../../errors.js';
import type { WindowPadding } from './fields.js';

/** `n` or `[h, w]` as `[h, w]`. */
export function asPair(value: number | readonly [number, number]): [number, number] {
  return typeof value === 'number' ? [value, value] : [value[0], value[1]];
}

/** The `[height, width, channels]` of an image input. @throws SpecError naming `where` when the input is not an image. */
export function expectImage(input: number[], where: string, type: string): [number, number, number] {
  if (input.length !== 3) {
    throw new SpecError(
      `${where}: type: ${type} needs [height, width, channels] input but receives [${input}]; set inputShape like [8, 8, 1]`,
    );
  }
  return [input[0]!, input[1]!, input[2]!];
}

/** Where a 2-D sliding window (convolution or pooling) goes over an `h × w` image. */
export interface WindowGeometry {
  kernel: [number, number];
  strides: [number, number];
  /** ONNX order: `[top, left, bottom, right]`. */
  pads: [number, number, number, number];
  input: [number, number];
  output: [number, number];
}

/** Explicit padding as `[top, left, bottom, right]`; undefined for `valid` and `same`. */
export function explicitPads(padding: WindowPadding): [number, number, number, number] | undefined {
  if (typeof padding === 'string') return undefined;
  if (typeof padding === 'number') return [padding, padding, padding, padding];
  if (padding.length === 2) return [padding[0], padding[1], padding[0], padding[1]];
  return [padding[0], padding[1], padding[2], padding[3]];
}

/**
 * The one geometry every backend uses. `valid`: no padding. `same`: `ceil(size / stride)` outputs
 * with the padding split evenly and any odd pixel at the bottom/right (as TensorFlow and tfjs do).
 * Explicit pads: PyTorch's `floor((size + pads - window) / stride) + 1`.
 */
export function windowGeometry(
  input: [number, number],
  kernel: number | readonly [number, number],
  strides: number | readonly [number, number],
  padding: WindowPadding,
): WindowGeometry {
  const k = asPair(kernel);
  const s = asPair(strides);
  const explicit = explicitPads(padding);
  const axis = (i: 0 | 1): { out: number; before: number; after: number } => {
    if (explicit) {
      const [before, after] = [explicit[i], explicit[i + 2]!];
      return { out: Math.floor((input[i] + before + after - k[i]) / s[i]) + 1, before, after };
    }
    if (padding === 'valid') return { out: Math.floor((input[i] - k[i]) / s[i]) + 1, before: 0, after: 0 };
    const out = Math.ceil(input[i] / s[i]);
    const total = Math.max((out - 1) * s[i] + k[i] - input[i], 0);
    return { out, before: Math.floor(total / 2), after: total - Math.floor(total / 2) };
  };
  const [h, w] = [axis(0), axis(1)];
  return { kernel: k, strides: s, pads: [h.before, w.before, h.after, w.after], input, output: [h.out, w.out] };
}

/**
 * The output `[h, w]` of a window over an image, checked.
 * @throws SpecError naming `where` and `field` when the window does not fit the (padded) input.
 */
export function windowOutput(
  input: [number, number],
  kernel: number | readonly [number, number],
  strides: number | readonly [number, number],
  padding: WindowPadding,
  where: string,
  field: string,
): [number, number] {
  const geometry = windowGeometry(input, kernel, strides, padding);
  for (const i of [0, 1] as const) {
    const padded = input[i] + geometry.pads[i] + geometry.pads[i + 2]!;
    if (padding !== 'same' && geometry.kernel[i] > padded) {
      const what = typeof padding === 'string' ? 'input' : 'padded input';
      throw new SpecError(`${where}: ${field}: window ${geometry.kernel[i]} is larger than the ${what} size ${padded}`);
    }
  }
  return geometry.output;
}

/**
 * For pooling: explicit pads of at most half the window, as PyTorch requires (a larger pad makes
 * windows that see only padding).
 * @throws SpecError naming `where` and the padding.
 */
export function checkPoolPads(padding: WindowPadding, window: number | readonly [number, number], where: string): void {
  const pads = explicitPads(padding);
  if (!pads) return;
  const k = asPair(window);
  for (const i of [0, 1] as const) {
    const largest = Math.max(pads[i], pads[i + 2]!);
    if (largest * 2 > k[i]) throw new SpecError(`${where}: padding: ${largest} is more than half the pool window ${k[i]}`);
  }
}
