import { unsupportedField } from '../unsupported.js';
import type { Pool2dLayer } from '@headstart/core';
import type { LayerOp } from './layer-op.js';
import { imageWindows, windowTaps, type WindowTaps } from './window.js';

/**
 * Max or average pooling over channels-last images. Padding never takes part: a max ignores it and an
 * average divides by the real values in its window (TensorFlow's behaviour and ONNX's default).
 */
export class Pool2dOp implements LayerOp {
  readonly layer: string;
  readonly parameters: string[] = [];
  private readonly isMax: boolean;
  private readonly channels: number;
  private readonly inputSize: number;
  /** The pixels (`y·width + z`) each output position's window covers. */
  private readonly taps: WindowTaps;
  /** Max pooling: the input offset each output came from, where its gradient goes. */
  private argmax = new Int32Array(0);

  constructor(spec: Pool2dLayer, inputShape: readonly number[]) {
    const [height, width, channels] = inputShape as [number, number, number];
    if (typeof spec.padding !== 'string') throw unsupportedField(spec, 'padding', spec.padding);
    this.layer = spec.name;
    this.isMax = spec.type === 'maxPool2d';
    this.channels = channels;
    this.inputSize = height * width * channels;
    this.taps = windowTaps(
      [height, width, 1],
      imageWindows(inputShape, spec.poolSize, spec.strides ?? spec.poolSize, spec.padding as 'valid' | 'same'),
      0,
    );
  }

  forward(x: Float64Array, n: number): Float64Array {
    const { channels, inputSize, isMax } = this;
    const { positions, start, inputAt } = this.taps;
    const out = new Float64Array(n * positions * channels);
    if (isMax) this.argmax = new Int32Array(out.length);
    for (let s = 0; s < n; s++)
      for (let p = 0; p < positions; p++)
        for (let c = 0; c < channels; c++) {
          const o = (s * positions + p) * channels + c;
          const base = s * inputSize + c;
          if (isMax) {
            let best = base + inputAt[start[p]!]! * channels;
            for (let t = start[p]! + 1; t < start[p + 1]!; t++) {
              const at = base + inputAt[t]! * channels;
              if (x[at]! > x[best]!) best = at;
            }
            out[o] = x[best]!;
            this.argmax[o] = best;
          } else {
            let sum = 0;
            for (let t = start[p]!; t < start[p + 1]!; t++) sum += x[base + inputAt[t]! * channels]!;
            out[o] = sum / (start[p + 1]! - start[p]!);
          }
        }
    return out;
  }

  backward(d: Float64Array, n: number, _gradients: unknown, needInput: boolean): Float64Array | undefined {
    if (!needInput) return undefined;
    const { channels, inputSize } = this;
    const { positions, start, inputAt } = this.taps;
    const dx = new Float64Array(n * inputSize);
    if (this.isMax) {
      for (let o = 0; o < d.length; o++) dx[this.argmax[o]!]! += d[o]!;
      return dx;
    }
    for (let s = 0; s < n; s++)
      for (let p = 0; p < positions; p++)
        for (let c = 0; c < channels; c++) {
          const share = d[(s * positions + p) * channels + c]! / (start[p + 1]! - start[p]!);
          for (let t = start[p]!; t < start[p + 1]!; t++) dx[s * inputSize + inputAt[t]! * channels + c]! += share;
        }
    return dx;
  }
}

/** Mean over height and width: `[h, w, c]` → `[c]`. */
export class GlobalAvgPool2dOp implements LayerOp {
  readonly parameters: string[] = [];
  private readonly positions: number;
  private readonly channels: number;

  constructor(
    readonly layer: string,
    inputShape: readonly number[],
  ) {
    this.positions = inputShape[0]! * inputShape[1]!;
    this.channels = inputShape[2]!;
  }

  forward(x: Float64Array, n: number): Float64Array {
    const { positions, channels } = this;
    const out = new Float64Array(n * channels);
    for (let s = 0; s < n; s++)
      for (let p = 0; p < positions; p++)
        for (let c = 0; c < channels; c++) out[s * channels + c]! += x[(s * positions + p) * channels + c]! / positions;
    return out;
  }

  backward(d: Float64Array, n: number, _gradients: unknown, needInput: boolean): Float64Array | undefined {
    if (!needInput) return undefined;
    const { positions, channels } = this;
    const dx = new Float64Array(n * positions * channels);
    for (let s = 0; s < n; s++)
      for (let p = 0; p < positions; p++)
        for (let c = 0; c < channels; c++) dx[(s * positions + p) * channels + c] = d[s * channels + c]! / positions;
    return dx;
  }
}
