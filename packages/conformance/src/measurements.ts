import { sameShape, type NamedTensors } from '@headstart/core';
import { ConformanceFailure } from './conformance-failure.js';

/** One comparison a check made, kept for reports. */
export interface Measurement {
  /** What was compared, e.g. `parameters after step 2`. */
  what: string;
  /** Largest `|actual − expected|` over every value compared. */
  maxDifference: number;
  /** The allowed difference (0: bit-identical). Values above 1 in size are allowed `tolerance·|expected|`. */
  tolerance: number;
}

/** Values a check compares: one number, an array, or tensors by name. */
export type Compared = number | ArrayLike<number> | NamedTensors;

/**
 * The assertions of a check. Each comparison is recorded as a {@link Measurement}; one that fails
 * throws a {@link ConformanceFailure} naming the tensor, the index and both values.
 */
export class Expectations {
  readonly measurements: Measurement[] = [];

  constructor(private readonly tolerance: number) {}

  /** `actual` within the tolerance of `expected` (by default the suite's, 1e-4). */
  close(what: string, actual: Compared, expected: Compared, tolerance = this.tolerance): number {
    return this.compare(what, actual, expected, tolerance);
  }

  /** `actual` bit-identical to `expected`. */
  identical(what: string, actual: Compared, expected: Compared): void {
    this.compare(what, actual, expected, 0);
  }

  /** Every tensor of `after` differs from `before` somewhere: training moved it. */
  changed(what: string, after: NamedTensors, before: NamedTensors): void {
    for (const [name, tensor] of after) {
      const old = before.get(name)!.data;
      if (tensor.data.every((v, i) => v === old[i])) throw new ConformanceFailure(`${what}: "${name}" did not change, but it is trained`);
    }
  }

  /** Structural equality, for names, shapes and flags. */
  equal(what: string, actual: unknown, expected: unknown): void {
    const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)];
    if (a !== e) throw new ConformanceFailure(`${what}: got ${a}, expected ${e}`);
  }

  private compare(what: string, actual: Compared, expected: Compared, tolerance: number): number {
    let max = 0;
    for (const [name, a, e] of pairs(what, actual, expected)) {
      for (let i = 0; i < e.length; i++) {
        const difference = Math.abs(a[i]! - e[i]!);
        const allowed = tolerance * Math.max(1, Math.abs(e[i]!));
        if (!(difference <= allowed) && !Object.is(a[i], e[i])) {
          const where = name === undefined ? `[${i}]` : `"${name}"[${i}]`;
          throw new ConformanceFailure(
            `${what}: ${where} is ${a[i]} but expected ${e[i]} (difference ${difference.toExponential(2)} > ${tolerance === 0 ? '0: must be bit-identical' : allowed.toExponential(2)})`,
          );
        }
        max = Math.max(max, difference);
      }
    }
    this.measurements.push({ what, maxDifference: max, tolerance });
    return max;
  }
}

/** The arrays to compare, element by element, with the tensor name when there is one. */
function pairs(what: string, actual: Compared, expected: Compared): [string | undefined, ArrayLike<number>, ArrayLike<number>][] {
  if (typeof expected === 'number' || typeof actual === 'number') return [[undefined, [Number(actual)], [Number(expected)]]];
  if (!(expected instanceof Map) || !(actual instanceof Map)) {
    if (actual instanceof Map || expected instanceof Map) throw new TypeError(`${what}: compared a tensor map with an array`);
    if (actual.length !== expected.length) throw new ConformanceFailure(`${what}: ${actual.length} values, expected ${expected.length}`);
    return [[undefined, actual, expected]];
  }
  const [names, expectedNames] = [[...actual.keys()].sort(), [...expected.keys()].sort()];
  if (names.join() !== expectedNames.join())
    throw new ConformanceFailure(`${what}: tensors [${names.join(', ')}], expected [${expectedNames.join(', ')}]`);
  return expectedNames.map((name) => {
    const [a, e] = [actual.get(name)!, expected.get(name)!];
    if (!sameShape(a.shape, e.shape) || a.data.length !== e.data.length)
      throw new ConformanceFailure(`${what}: "${name}" has shape [${a.shape}], expected [${e.shape}]`);
    return [name, a.data, e.data];
  });
}
