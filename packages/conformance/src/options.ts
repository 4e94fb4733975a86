import type { Backend } from '@headstart/core';

/** Makes the backend under test (or a reference); called once per suite run. */
export type BackendFactory = () => Promise<Backend> | Backend;

/** How to run the conformance suite. Every field is optional. */
export interface ConformanceOptions {
  /**
   * Another backend to compare with, value for value (for example `@headstart/backend-onnx`). Adds
   * the `reference.*` checks, which include continuing training across the two backends through a
   * checkpoint. The float64 reference checks run either way. Default: none.
   */
  reference?: BackendFactory | undefined;
  /**
   * Largest allowed difference from the reference, absolute for values up to 1 in size and relative
   * beyond. Default {@link DEFAULT_TOLERANCE}. Bit-identity checks (frozen parameters) ignore it.
   */
  tolerance?: number | undefined;
  /** Checks not to run, by id, each with the reason to show, e.g. `{ 'export.round-trip': 'export is write-only' }`. */
  skip?: Readonly<Record<string, string>> | undefined;
  /**
   * Run only these checks: ids, or prefixes ending in `*` (`float64.*`). Default: every check.
   * An entry that matches no check is an error, so a typo cannot silently drop checks.
   */
  checks?: readonly string[] | undefined;
  /**
   * Format passed to `exportModel` in `export.round-trip`. Default: the first of the backend's
   * `formats` that it both exports and imports, else the backend's name.
   */
  exportFormat?: string | undefined;
}

/** The default {@link ConformanceOptions.tolerance}: 1e-4. */
export const DEFAULT_TOLERANCE = 1e-4;
