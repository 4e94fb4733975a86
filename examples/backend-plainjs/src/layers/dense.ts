import type { Gradients, LayerOp } from './layer-op.js';

/**
 * `out = x · kernel + bias`, kernel in the canonical `[in, out]` layout, row-major.
 *
 * Every loop runs along a row of the kernel (`out` contiguous), so memory is read in order. Samples
 * go four at a time where they can: each kernel value read then serves four samples, which makes
 * this op about 2.5 times faster than one sample at a time. The one-sample loops (`…One`) say the
 * same math more plainly and handle the last `n mod 4` samples.
 */
export class DenseOp implements LayerOp {
  readonly parameters: string[];
  private input: Float64Array = new Float64Array(0);

  constructor(
    readonly layer: string,
    private readonly inputs: number,
    private readonly units: number,
    private readonly kernel: Float32Array,
    private readonly bias: Float32Array | undefined,
  ) {
    this.parameters = bias ? [`${layer}.kernel`, `${layer}.bias`] : [`${layer}.kernel`];
  }

  forward(x: Float64Array, n: number): Float64Array {
    this.input = x;
    const out = new Float64Array(n * this.units);
    if (this.bias) for (let s = 0; s < n; s++) out.set(this.bias, s * this.units);
    let s = 0;
    for (; s + 4 <= n; s += 4) this.forwardFour(x, out, s);
    for (; s < n; s++) this.forwardOne(x, out, s);
    return out;
  }

  backward(d: Float64Array, n: number, gradients: Gradients, needInput: boolean): Float64Array | undefined {
    const gradKernel = gradients.get(this.parameters[0]!);
    const gradBias = this.bias ? gradients.get(this.parameters[1]!) : undefined;
    const { units, inputs } = this;
    if (gradBias) for (let i = 0; i < d.length; i++) gradBias[i % units]! += d[i]!;
    if (gradKernel) {
      let s = 0;
      for (; s + 4 <= n; s += 4) this.kernelGradientFour(d, gradKernel, s);
      for (; s < n; s++) this.kernelGradientOne(d, gradKernel, s);
    }
    if (!needInput) return undefined;
    const dx = new Float64Array(n * inputs);
    let s = 0;
    for (; s + 4 <= n; s += 4) this.inputGradientFour(d, dx, s);
    for (; s < n; s++) this.inputGradientOne(d, dx, s);
    return dx;
  }

  /** `out[s] += x[s] · kernel` for one sample. */
  private forwardOne(x: Float64Array, out: Float64Array, s: number): void {
    const { inputs, units, kernel } = this;
    const row = s * units;
    for (let i = 0; i < inputs; i++) {
      const xi = x[s * inputs + i]!;
      // After a relu many inputs are zero.
      if (xi === 0) continue;
      for (let o = 0, k = i * units; o < units; o++, k++) out[row + o]! += xi * kernel[k]!;
    }
  }

  /** {@link forwardOne} for samples `s` to `s + 3`. */
  private forwardFour(x: Float64Array, out: Float64Array, s: number): void {
    const { inputs, units, kernel } = this;
    const r0 = s * units,
      r1 = r0 + units,
      r2 = r1 + units,
      r3 = r2 + units;
    for (let i = 0; i < inputs; i++) {
      const a = x[s * inputs + i]!,
        b = x[(s + 1) * inputs + i]!,
        c = x[(s + 2) * inputs + i]!,
        e = x[(s + 3) * inputs + i]!;
      if (a === 0 && b === 0 && c === 0 && e === 0) continue;
      for (let o = 0, k = i * units; o < units; o++, k++) {
        const w = kernel[k]!;
        out[r0 + o]! += a * w;
        out[r1 + o]! += b * w;
        out[r2 + o]! += c * w;
        out[r3 + o]! += e * w;
      }
    }
  }

  /** `gradKernel += x[s]ᵀ · d[s]` for one sample. */
  private kernelGradientOne(d: Float64Array, gradKernel: Float64Array, s: number): void {
    const { inputs, units, input: x } = this;
    const row = s * units;
    for (let i = 0; i < inputs; i++) {
      const xi = x[s * inputs + i]!;
      if (xi === 0) continue;
      for (let o = 0, k = i * units; o < units; o++, k++) gradKernel[k]! += xi * d[row + o]!;
    }
  }

  /** {@link kernelGradientOne} for samples `s` to `s + 3`. */
  private kernelGradientFour(d: Float64Array, gradKernel: Float64Array, s: number): void {
    const { inputs, units, input: x } = this;
    const r0 = s * units,
      r1 = r0 + units,
      r2 = r1 + units,
      r3 = r2 + units;
    for (let i = 0; i < inputs; i++) {
      const a = x[s * inputs + i]!,
        b = x[(s + 1) * inputs + i]!,
        c = x[(s + 2) * inputs + i]!,
        e = x[(s + 3) * inputs + i]!;
      if (a === 0 && b === 0 && c === 0 && e === 0) continue;
      for (let o = 0, k = i * units; o < units; o++, k++)
        gradKernel[k]! += a * d[r0 + o]! + b * d[r1 + o]! + c * d[r2 + o]! + e * d[r3 + o]!;
    }
  }

  /** `dx[s] = d[s] · kernelᵀ` for one sample. */
  private inputGradientOne(d: Float64Array, dx: Float64Array, s: number): void {
    const { inputs, units, kernel } = this;
    const row = s * units;
    for (let i = 0; i < inputs; i++) {
      let sum = 0;
      for (let o = 0, k = i * units; o < units; o++, k++) sum += kernel[k]! * d[row + o]!;
      dx[s * inputs + i] = sum;
    }
  }

  /** {@link inputGradientOne} for samples `s` to `s + 3`. */
  private inputGradientFour(d: Float64Array, dx: Float64Array, s: number): void {
    const { inputs, units, kernel } = this;
    const r0 = s * units,
      r1 = r0 + units,
      r2 = r1 + units,
      r3 = r2 + units;
    for (let i = 0; i < inputs; i++) {
      let a = 0,
        b = 0,
        c = 0,
        e = 0;
      for (let o = 0, k = i * units; o < units; o++, k++) {
        const w = kernel[k]!;
        a += w * d[r0 + o]!;
        b += w * d[r1 + o]!;
        c += w * d[r2 + o]!;
        e += w * d[r3 + o]!;
      }
      dx[s * inputs + i] = a;
      dx[(s + 1) * inputs + i] = b;
      dx[(s + 2) * inputs + i] = c;
      dx[(s + 3) * inputs + i] = e;
    }
  }
}
