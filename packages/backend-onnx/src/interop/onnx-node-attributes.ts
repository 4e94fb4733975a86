import type { Attributes } from '../onnx/attributes.js';

/** An ints attribute, or `fallback`. */
export function intsOf(attributes: Attributes, name: string, fallback: number[]): number[] {
  const a = attributes[name];
  return a?.kind === 'ints' ? [...a.value] : fallback;
}

/** An int or float attribute, or `fallback`. */
export function numberOf(attributes: Attributes, name: string, fallback: number): number {
  const a = attributes[name];
  return a && (a.kind === 'int' || a.kind === 'float') ? a.value : fallback;
}

/**
 * A float attribute as the shortest decimal that is the same float32: ONNX stores PyTorch's `1e-5`
 * as the float32 9.99999974e-6, which the spec should read as the `1e-5` the user wrote.
 */
export function floatOf(attributes: Attributes, name: string, fallback: number): number {
  return shortestFloat32(numberOf(attributes, name, fallback));
}

/** The shortest decimal that reads back as the same float32 as `value`. */
export function shortestFloat32(value: number): number {
  const single = Math.fround(value);
  for (let digits = 1; digits < 17; digits++) {
    const decimal = Number(single.toPrecision(digits));
    if (Math.fround(decimal) === single) return decimal;
  }
  return single;
}
