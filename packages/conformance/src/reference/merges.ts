/** Element-wise sum of same-shape inputs (a residual connection). Returns a new array. */
export function addValues(inputs: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(inputs[0]!.length);
  for (const input of inputs) for (let i = 0; i < out.length; i++) out[i]! += input[i]!;
  return out;
}

/**
 * Channels-last values of each input joined along the last (channel) axis: each position's
 * channels of the first input, then of the second, and so on. `channels[i]` is input i's channel count.
 */
export function concatValues(inputs: readonly Float64Array[], channels: readonly number[]): Float64Array {
  const total = channels.reduce((a, b) => a + b, 0);
  const positions = inputs[0]!.length / channels[0]!;
  const out = new Float64Array(positions * total);
  for (let p = 0; p < positions; p++) {
    let offset = p * total;
    inputs.forEach((input, k) => {
      const c = channels[k]!;
      out.set(input.subarray(p * c, (p + 1) * c), offset);
      offset += c;
    });
  }
  return out;
}
