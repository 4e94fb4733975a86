import { DataError, sizeOf } from '@headstart/core';

/** `[8,8,1]`, as messages show shapes. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * The shape samples get: `requested` (the `sampleShape` option) when given and holding as many
 * values as the `natural` shape of the file, else `natural`.
 * @internal
 */
export function chooseSampleShape(file: string, natural: number[], requested: number[] | undefined): number[] {
  if (!requested) return natural;
  if (requested.length === 0 || requested.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new DataError(file, `sample shape ${formatShape(requested)} must be positive whole numbers`);
  }
  if (sizeOf(requested) !== sizeOf(natural)) {
    throw new DataError(
      file,
      `sample shape ${formatShape(requested)} holds ${sizeOf(requested)} values, but each sample has ${sizeOf(natural)}`,
    );
  }
  return [...requested];
}
