import { SpecError } from '../../errors.js';

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

/** Output size of a sliding window along one axis. @throws SpecError naming `field` when a valid window does not fit. */
export function windowOut(size: number, window: number, stride: number, padding: 'valid' | 'same', where: string, field: string): number {
  if (padding === 'same') return Math.ceil(size / stride);
  if (window > size) throw new SpecError(`${where}: ${field}: window ${window} is larger than the input size ${size}`);
  return Math.floor((size - window) / stride) + 1;
}
