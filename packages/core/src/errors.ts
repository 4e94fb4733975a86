/**
 * Stable error codes. `BAD_INPUT` and `USAGE` are the user's to fix (the CLI exits 2 with one line);
 * everything else is unexpected (exit 1 with the stack).
 */
export type HeadstartErrorCode =
  | 'USAGE'
  | 'BAD_INPUT'
  | 'SPEC_ERROR'
  | 'CHECKPOINT_ERROR'
  | 'DATA_ERROR'
  | 'PLUGIN_ERROR'
  | 'REGISTRY_ERROR'
  | 'NOT_SUPPORTED'
  | 'INTERRUPTED';

/** Codes that describe bad input or usage: the user can fix them, so no stack trace is shown. */
export const USER_ERROR_CODES: ReadonlySet<HeadstartErrorCode> = new Set([
  'USAGE',
  'BAD_INPUT',
  'SPEC_ERROR',
  'CHECKPOINT_ERROR',
  'DATA_ERROR',
  'REGISTRY_ERROR',
  'NOT_SUPPORTED',
]);

/** Marks headstart errors across copies of core (a plugin may bundle its own), like the registry's global key. */
const BRAND = Symbol.for('headstart.error.v1');

/**
 * Base class of every error headstart throws on purpose. The message is one line, ready to print.
 * `instanceof HeadstartError` also holds for errors from another copy of core in the same process.
 */
export class HeadstartError extends Error {
  readonly code: HeadstartErrorCode;
  constructor(code: HeadstartErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HeadstartError';
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses keep the ordinary prototype check; the base class also recognises the brand.
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class instanceof was called on, a subclass or this one
    if (this !== HeadstartError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** A ModelSpec that does not validate; the message names the layer index, name and field. */
export class SpecError extends HeadstartError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SPEC_ERROR', message, options);
    this.name = 'SpecError';
  }
}

/** A checkpoint file that cannot be read or does not agree with itself; the message names the file. */
export class CheckpointError extends HeadstartError {
  readonly file: string;
  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super('CHECKPOINT_ERROR', `${file}: ${problem}`, options);
    this.name = 'CheckpointError';
    this.file = file;
  }
}

/** A data file that cannot be read; the message names the file and, where known, the line and column. */
export class DataError extends HeadstartError {
  readonly file: string;
  readonly line: number | undefined;
  constructor(file: string, problem: string, location?: { line?: number | undefined; column?: string | undefined }) {
    const where = [
      file,
      location?.line !== undefined ? `line ${location.line}` : undefined,
      location?.column !== undefined ? `column "${location.column}"` : undefined,
    ]
      .filter(Boolean)
      .join(', ');
    super('DATA_ERROR', `${where}: ${problem}`);
    this.name = 'DataError';
    this.file = file;
    this.line = location?.line;
  }
}

/**
 * An error thrown inside a plugin, stamped once with the plugin (`backend:onnx`) and the hook it came
 * from (`createModel`, `model.predict`, `trainer.step`, `run`); the message reads
 * `[backend:onnx] trainer.step: <original message>`. The original error is kept as `cause`.
 */
export class PluginError extends HeadstartError {
  readonly plugin: string;
  readonly hook: string;
  constructor(plugin: string, hook: string, cause: unknown) {
    const inner = cause instanceof Error ? cause.message : String(cause);
    // A plugin's own user-facing errors keep their code so the CLI still exits 2 for bad input.
    const code = cause instanceof HeadstartError ? cause.code : 'PLUGIN_ERROR';
    super(code, `[${plugin}] ${hook}: ${inner}`, { cause });
    this.name = 'PluginError';
    this.plugin = plugin;
    this.hook = hook;
  }
}

/** True when the error is the user's to fix (bad input, bad usage) rather than a bug. */
export function isUserError(error: unknown): error is HeadstartError {
  return error instanceof HeadstartError && USER_ERROR_CODES.has(error.code);
}
