import * as tf from '@tensorflow/tfjs';

/** A TensorFlow.js engine this backend can run on, in order of preference. */
export type EngineName = 'tfjs-node' | 'cpu';

/** The engine chosen for this process, and why. */
export interface EngineChoice {
  /** Undefined when no engine could start. */
  engine: EngineName | undefined;
  /** One line per candidate that was tried: why it was taken or skipped. */
  reasons: string[];
}

interface Candidate {
  name: EngineName;
  /** The tfjs backend name to select, or a one-line reason why this engine cannot run here. */
  start(): Promise<{ backend: string } | { skip: string }>;
}

const TFJS_NODE = '@tensorflow/tfjs-node';
const NOT_INSTALLED = 'tfjs-node is not installed (npm i @tensorflow/tfjs-node for native speed); using the cpu engine';

/**
 * Engine order of DESIGN.md: native tfjs-node when installed, then wasm (not wired up yet: it is not
 * installed here, and it cannot train convolutions, so it would slot in between with a per-model
 * kernel check), else the pure-JS cpu engine, which always works.
 */
const CANDIDATES: Candidate[] = [
  { name: 'tfjs-node', start: startTfjsNode },
  { name: 'cpu', start: startCpu },
];

let chosen: Promise<EngineChoice> | undefined;

/**
 * Choose and start the engine, once per process: TensorFlow.js keeps one global engine, so every
 * model of this backend shares it. Never runs on import, only on `probe()` or first use.
 * @param note called once with a user-facing note when tfjs-node is missing or broken; by default it
 *   is printed to stderr when that is a terminal.
 */
export function chooseEngine(note: (message: string) => void = defaultNote): Promise<EngineChoice> {
  chosen ??= tryCandidates(note).catch((error: unknown) => {
    chosen = undefined;
    throw error;
  });
  return chosen;
}

async function tryCandidates(note: (message: string) => void): Promise<EngineChoice> {
  const reasons: string[] = [];
  for (const candidate of CANDIDATES) {
    const started = await candidate.start().catch((error: unknown) => ({ skip: `${candidate.name} failed to start: ${messageOf(error)}` }));
    if ('skip' in started) {
      reasons.push(started.skip);
      // Missing native speed is worth a word; later candidates skipping is routine.
      if (candidate.name === 'tfjs-node') note(started.skip);
      continue;
    }
    reasons.push(`using the ${candidate.name} engine (tfjs backend "${started.backend}")`);
    return { engine: candidate.name, reasons };
  }
  return { engine: undefined, reasons };
}

async function startTfjsNode(): Promise<{ backend: string } | { skip: string }> {
  // A variable specifier keeps TypeScript and bundlers from requiring the optional package.
  const specifier: string = TFJS_NODE;
  try {
    await import(specifier);
  } catch (error) {
    if (isModuleNotFound(error)) return { skip: NOT_INSTALLED };
    return { skip: `tfjs-node is installed but failed to load (${messageOf(error)}); using the cpu engine` };
  }
  // tfjs-node registers "tensorflow" with the tfjs-core it resolves, which may be another copy.
  if (!tf.findBackendFactory('tensorflow')) {
    return { skip: 'tfjs-node loaded but registered with another copy of @tensorflow/tfjs-core; using the cpu engine' };
  }
  if (!(await tf.setBackend('tensorflow'))) return { skip: 'tfjs-node loaded but its backend did not initialise' };
  await tf.ready();
  return { backend: 'tensorflow' };
}

async function startCpu(): Promise<{ backend: string } | { skip: string }> {
  if (!(await tf.setBackend('cpu'))) return { skip: 'the tfjs cpu backend did not initialise' };
  await tf.ready();
  // The cpu backend prints its own "install tfjs-node" banner on first use; our note already said so.
  const backend = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (backend && 'firstUse' in backend) backend.firstUse = false;
  return { backend: 'cpu' };
}

/** The package itself is missing (not one of its own files or native bindings). */
function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
  return missing && new RegExp(`Cannot find (package|module) '${TFJS_NODE}'`).test(messageOf(error));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

/**
 * Print the note only on a terminal: with output piped (the CLI's `--json` mode, CI) stderr stays
 * clean, and the note is still the first of `probe()`'s reasons, which `headstart doctor` shows.
 */
function defaultNote(message: string): void {
  if (process.stderr.isTTY) console.warn(`headstart tfjs: ${message}`);
}

/** Versions of the TensorFlow.js packages in use, for `headstart doctor`. */
export function tfjsVersion(): string {
  return tf.version['tfjs-core'] ?? 'unknown';
}
