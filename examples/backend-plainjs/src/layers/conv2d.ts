import type { Conv2dLayer } from '@headstart/core';
import type { Gradients, LayerOp } from './layer-op.js';
import { unsupportedField } from '../unsupported.js';
import { imageWindows, windowTaps, type WindowTaps } from './window.js';

/**
 * 2-D convolution over channels-last images, kernel in the canonical `[kh, kw, in, out]` layout:
 * each (kernel row, kernel column, input channel) is a contiguous row of `filters` weights, so the
 * inner loops run over output channels, as in the dense op. Which inputs meet which kernel rows at
 * each output position is worked out once ({@link windowTaps}); padding has no taps. As there,
 * samples go four at a time where they can, and the `…One` loops say the math plainly.
 */
export class Conv2dOp implements LayerOp {
  readonly layer: string;
  readonly parameters: string[];
  private readonly filters: number;
  private readonly taps: WindowTaps;
  /** Values in one input sample. */
  private readonly inputSize: number;
  private input: Float64Array = new Float64Array(0);

  constructor(
    spec: Conv2dLayer,
    inputShape: readonly number[],
    private readonly kernel: Float32Array,
    private readonly bias: Float32Array | undefined,
  ) {
    if (typeof spec.padding !== 'string') throw unsupportedField(spec, 'padding', spec.padding);
    if ((spec.groups ?? 1) > 1) throw unsupportedField(spec, 'groups', spec.groups);
    this.layer = spec.name;
    this.parameters = bias ? [`${spec.name}.kernel`, `${spec.name}.bias`] : [`${spec.name}.kernel`];
    this.filters = spec.filters;
    this.taps = windowTaps(
      inputShape,
      imageWindows(inputShape, spec.kernelSize, spec.strides, spec.padding as 'valid' | 'same'),
      spec.filters,
    );
    this.inputSize = inputShape[0]! * inputShape[1]! * inputShape[2]!;
  }

  forward(x: Float64Array, n: number): Float64Array {
    this.input = x;
    const out = new Float64Array(n * this.taps.positions * this.filters);
    if (this.bias) for (let row = 0; row < out.length; row += this.filters) out.set(this.bias, row);
    let s = 0;
    for (; s + 4 <= n; s += 4) this.forwardFour(x, out, s);
    for (; s < n; s++) this.forwardOne(x, out, s);
    return out;
  }

  backward(d: Float64Array, n: number, gradients: Gradients, needInput: boolean): Float64Array | undefined {
    const gradKernel = gradients.get(this.parameters[0]!);
    const gradBias = this.bias ? gradients.get(this.parameters[1]!) : undefined;
    if (gradBias) for (let i = 0; i < d.length; i++) gradBias[i % this.filters]! += d[i]!;
    const dx = needInput ? new Float64Array(this.input.length) : undefined;
    if (!gradKernel && !dx) return undefined;
    let s = 0;
    for (; s + 4 <= n; s += 4) this.backwardFour(d, gradKernel, dx, s);
    for (; s < n; s++) this.backwardOne(d, gradKernel, dx, s);
    return dx;
  }

  /** `out[s, p] += Σ_taps x[s, tap] · kernel[tap row]` for one sample. */
  private forwardOne(x: Float64Array, out: Float64Array, s: number): void {
    const { filters, kernel } = this;
    const { positions, start, inputAt, kernelAt } = this.taps;
    const base = s * this.inputSize;
    for (let p = 0; p < positions; p++) {
      const o = (s * positions + p) * filters;
      for (let t = start[p]!; t < start[p + 1]!; t++) {
        const xv = x[base + inputAt[t]!]!;
        if (xv === 0) continue;
        for (let f = 0, k = kernelAt[t]!; f < filters; f++, k++) out[o + f]! += xv * kernel[k]!;
      }
    }
  }

  /** {@link forwardOne} for samples `s` to `s + 3`. */
  private forwardFour(x: Float64Array, out: Float64Array, s: number): void {
    const { filters, kernel, inputSize } = this;
    const { positions, start, inputAt, kernelAt } = this.taps;
    const step = positions * filters;
    for (let p = 0; p < positions; p++) {
      const o0 = (s * positions + p) * filters,
        o1 = o0 + step,
        o2 = o1 + step,
        o3 = o2 + step;
      for (let t = start[p]!; t < start[p + 1]!; t++) {
        const at = s * inputSize + inputAt[t]!;
        const a = x[at]!,
          b = x[at + inputSize]!,
          c = x[at + 2 * inputSize]!,
          e = x[at + 3 * inputSize]!;
        if (a === 0 && b === 0 && c === 0 && e === 0) continue;
        for (let f = 0, k = kernelAt[t]!; f < filters; f++, k++) {
          const w = kernel[k]!;
          out[o0 + f]! += a * w;
          out[o1 + f]! += b * w;
          out[o2 + f]! += c * w;
          out[o3 + f]! += e * w;
        }
      }
    }
  }

  /** For one sample: `gradKernel[tap row] += x[s, tap] · d[s, p]` and `dx[s, tap] += kernel[tap row] · d[s, p]`. */
  private backwardOne(d: Float64Array, gradKernel: Float64Array | undefined, dx: Float64Array | undefined, s: number): void {
    const { filters, kernel, input: x } = this;
    const { positions, start, inputAt, kernelAt } = this.taps;
    const base = s * this.inputSize;
    for (let p = 0; p < positions; p++) {
      const o = (s * positions + p) * filters;
      for (let t = start[p]!; t < start[p + 1]!; t++) {
        const at = base + inputAt[t]!;
        const xv = x[at]!;
        let sum = 0;
        for (let f = 0, k = kernelAt[t]!; f < filters; f++, k++) {
          if (gradKernel) gradKernel[k]! += xv * d[o + f]!;
          sum += kernel[k]! * d[o + f]!;
        }
        if (dx) dx[at]! += sum;
      }
    }
  }

  /** {@link backwardOne} for samples `s` to `s + 3`. */
  private backwardFour(d: Float64Array, gradKernel: Float64Array | undefined, dx: Float64Array | undefined, s: number): void {
    const { filters, kernel, inputSize, input: x } = this;
    const { positions, start, inputAt, kernelAt } = this.taps;
    const step = positions * filters;
    for (let p = 0; p < positions; p++) {
      const o0 = (s * positions + p) * filters,
        o1 = o0 + step,
        o2 = o1 + step,
        o3 = o2 + step;
      for (let t = start[p]!; t < start[p + 1]!; t++) {
        const at = s * inputSize + inputAt[t]!;
        const k0 = kernelAt[t]!;
        if (gradKernel) {
          const a = x[at]!,
            b = x[at + inputSize]!,
            c = x[at + 2 * inputSize]!,
            e = x[at + 3 * inputSize]!;
          for (let f = 0, k = k0; f < filters; f++, k++)
            gradKernel[k]! += a * d[o0 + f]! + b * d[o1 + f]! + c * d[o2 + f]! + e * d[o3 + f]!;
        }
        if (dx) {
          let a = 0,
            b = 0,
            c = 0,
            e = 0;
          for (let f = 0, k = k0; f < filters; f++, k++) {
            const w = kernel[k]!;
            a += w * d[o0 + f]!;
            b += w * d[o1 + f]!;
            c += w * d[o2 + f]!;
            e += w * d[o3 + f]!;
          }
          dx[at]! += a;
          dx[at + inputSize]! += b;
          dx[at + 2 * inputSize]! += c;
          dx[at + 3 * inputSize]! += e;
        }
      }
    }
  }
}
