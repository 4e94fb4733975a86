import { asPair } from '@headstart/core';

/** Where a sliding window (a kernel or a pool) goes along one axis. */
export interface AxisWindow {
  /** Input size along the axis. */
  size: number;
  window: number;
  stride: number;
  /** Output positions. */
  out: number;
  /** Padding before the first input position. */
  padBefore: number;
}

/**
 * TensorFlow's padding along one axis: none for `valid`; for `same`, `ceil(size/stride)` outputs with
 * the smaller half of the padding before and any odd one after (ONNX's `SAME_UPPER`).
 */
export function axisWindow(size: number, window: number, stride: number, padding: 'valid' | 'same'): AxisWindow {
  if (padding === 'valid') return { size, window, stride, out: Math.floor((size - window) / stride) + 1, padBefore: 0 };
  const out = Math.ceil(size / stride);
  return { size, window, stride, out, padBefore: Math.floor(Math.max((out - 1) * stride + window - size, 0) / 2) };
}

/** The row and column windows of a 2-D window op over `[height, width, …]`. */
export function imageWindows(
  [height, width]: readonly number[],
  window: number | readonly [number, number],
  strides: number | readonly [number, number],
  padding: 'valid' | 'same',
): { rows: AxisWindow; cols: AxisWindow } {
  const [wh, ww] = asPair(window);
  const [sh, sw] = asPair(strides);
  return { rows: axisWindow(height!, wh, sh, padding), cols: axisWindow(width!, ww, sw, padding) };
}

/**
 * For each output position (row-major over the output's height and width), the real input values
 * its window covers: taps `start[p]` to `start[p + 1]`, each an offset into one channels-last input
 * sample (`inputAt`) and the offset of the matching window row (`kernelAt`: `((a·kw + b)·channels +
 * c)·rowLength`, for a kernel `[kh, kw, channels, rowLength]`). Padding has no taps.
 */
export interface WindowTaps {
  positions: number;
  start: Int32Array;
  inputAt: Int32Array;
  kernelAt: Int32Array;
}

/** The {@link WindowTaps} of a window over `[height, width, channels]` (every channel of every tap). */
export function windowTaps(
  [, width, channels]: readonly number[],
  { rows, cols }: { rows: AxisWindow; cols: AxisWindow },
  rowLength: number,
): WindowTaps {
  const positions = rows.out * cols.out;
  const start = new Int32Array(positions + 1);
  const inputAt: number[] = [];
  const kernelAt: number[] = [];
  for (let i = 0; i < rows.out; i++)
    for (let j = 0; j < cols.out; j++) {
      start[i * cols.out + j] = inputAt.length;
      for (let a = 0; a < rows.window; a++) {
        const y = i * rows.stride - rows.padBefore + a;
        if (y < 0 || y >= rows.size) continue;
        for (let b = 0; b < cols.window; b++) {
          const z = j * cols.stride - cols.padBefore + b;
          if (z < 0 || z >= cols.size) continue;
          for (let c = 0; c < channels!; c++) {
            inputAt.push((y * width! + z) * channels! + c);
            kernelAt.push(((a * cols.window + b) * channels! + c) * rowLength);
          }
        }
      }
    }
  start[positions] = inputAt.length;
  return { positions, start, inputAt: Int32Array.from(inputAt), kernelAt: Int32Array.from(kernelAt) };
}
