/** The largest finite float32, about 3.4e38: features are stored as float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** How messages state the range a feature must fit. */
export const FLOAT32_RANGE = '±3.4e38';

// Plain decimal notation only, so "0x1A", "0b1", "0o7", "Infinity", "1_000" and "" are not numbers.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Whether `text` is a number in plain decimal notation: an optional sign, digits with an optional
 * fraction, an optional exponent (`12`, `-0.5`, `.5`, `1e-3`). Surrounding whitespace is not allowed.
 */
export function isDecimal(text: string): boolean {
  return DECIMAL.test(text);
}

/**
 * Whether `value` stays a finite number when stored as float32 (a value just past
 * {@link FLOAT32_MAX} rounds down to it; `3.4e39` becomes Infinity).
 * @internal
 */
export function fitsFloat32(value: number): boolean {
  return Number.isFinite(Math.fround(value));
}

/** `3.4e39 is beyond the float32 range (±3.4e38)`, for a value shown as `shown`. @internal */
export function beyondFloat32(shown: string): string {
  return `${shown} is beyond the float32 range (${FLOAT32_RANGE})`;
}
