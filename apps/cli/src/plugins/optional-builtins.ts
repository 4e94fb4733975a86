import { CliError } from '../cli-error.js';

/**
 * A built-in plugin package the CLI runs without: an optional peer dependency of `@headstart/cli`,
 * loaded when installed. Its absence is no warning; only asking for its backend is an error.
 */
export interface OptionalBuiltin {
  package: string;
  /** The backend it registers. */
  backend: string;
  /** What the CLI imports: an entry that registers the backend without loading its engine. */
  entry: string;
}

/** TensorFlow.js and its engines (wasm, tfjs-node) come only through `@headstart/backend-tfjs`. */
export const OPTIONAL_BUILTINS: readonly OptionalBuiltin[] = [
  { package: '@headstart/backend-tfjs', backend: 'tfjs', entry: '@headstart/backend-tfjs/register' },
];

/** Optional built-ins found not installed in this process. */
const notInstalled = new Set<OptionalBuiltin>();

/** Whether `pkg` is an optional built-in. */
export function isOptionalBuiltin(pkg: string): boolean {
  return OPTIONAL_BUILTINS.some((b) => b.package === pkg);
}

/**
 * Whether `error`, from importing `pkg`, says the package itself is not installed — not that
 * something it imports is missing (a broken install, which stays a warning).
 */
export function isNotInstalled(pkg: string, error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === 'ERR_MODULE_NOT_FOUND' && typeof message === 'string' && message.startsWith(`Cannot find package '${pkg}'`);
}

/** Record that the optional built-in `pkg` is not installed. */
export function markNotInstalled(pkg: string): void {
  const builtin = OPTIONAL_BUILTINS.find((b) => b.package === pkg);
  if (builtin) notInstalled.add(builtin);
}

/** The optional built-ins found not installed, for `headstart doctor`. */
export function notInstalledBuiltins(): OptionalBuiltin[] {
  return [...notInstalled];
}

/** How to install an optional built-in, as messages say it. */
export function installHint(builtin: OptionalBuiltin): string {
  return `npm install ${builtin.package}`;
}

/**
 * @throws CliError when backend `name` is that of an optional built-in found not installed, saying
 * how to install it; `flag` names where the name came from (`--backend`, a pipeline file's `backend`).
 */
export function requireInstalledBackend(name: string | undefined, flag = '--backend'): void {
  const missing = [...notInstalled].find((b) => b.backend === name);
  if (missing) throw new CliError(`${flag} ${name}: the ${name} backend is not installed; install it with \`${installHint(missing)}\``);
}
