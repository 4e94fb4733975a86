import { HeadstartError, type ModelSpec } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import { missingKernels } from './training-kernels.js';
import { registerWasmConvGradients } from './wasm-conv-gradients.js';
import { registerWasmSegmentSum } from './wasm-segment-sum.js';
import { registerWasmSplit } from './wasm-split.js';

/** A TensorFlow.js engine this backend can run on, in order of preference. */
export type EngineName = 'tfjs-node' | 'wasm' | 'cpu';

/** The tfjs backend name behind each engine. */
const TFJS_BACKEND: Record<EngineName, string> = { 'tfjs-node': 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

/** Environment variable that restricts the backend to one engine (`tfjs-node`, `wasm` or `cpu`). */
export const ENGINE_VARIABLE = 'HEADSTART_TFJS_ENGINE';

/** The engines started in this process, and why. */
export interface EngineSet {
  /** Engines that started, in order of preference; empty when none could. */
  started: EngineName[];
  /** One line per candidate that was tried: why it was taken or skipped. */
  reasons: string[];
  /** The engine {@link ENGINE_VARIABLE} forced, if any. */
  forced?: EngineName | undefined;
}

/** The engine one model runs on, and why. */
export interface ModelEngine {
  engine: EngineName;
  reason: string;
}

interface Candidate {
  name: EngineName;
  /** Start the engine, or say in one line why it cannot run here. `started` are the engines before it. */
  start(started: readonly EngineName[]): Promise<{ detail: string } | { skip: string }>;
}

const TFJS_NODE = '@tensorflow/tfjs-node';
const NOT_INSTALLED = 'tfjs-node is not installed (npm i @tensorflow/tfjs-node for native speed)';

/**
 * Engine order (the package README): native tfjs-node when installed (it runs every model), else the wasm
 * engine for each model whose training kernels it all has (with the convolution gradients of
 * wasm-conv-gradients.ts and the embedding gradient of wasm-segment-sum.ts, every model of the
 * built-in layers), and the pure-JS cpu engine for the rest. Both of the latter start, so each model
 * can take the one that fits.
 */
const CANDIDATES: Candidate[] = [
  { name: 'tfjs-node', start: startTfjsNode },
  { name: 'wasm', start: startWasm },
  { name: 'cpu', start: startCpu },
];

let chosen: Promise<EngineSet> | undefined;

/**
 * Start the engines, once per process: TensorFlow.js keeps one global engine registry, so every model
 * of this backend shares them. Never runs on import, only on `probe()` or first use.
 * @param note called once with a user-facing note when tfjs-node is missing or broken; by default it
 *   is printed to stderr when that is a terminal.
 */
export function startEngines(note: (message: string) => void = defaultNote): Promise<EngineSet> {
  chosen ??= tryCandidates(note).catch((error: unknown) => {
    chosen = undefined;
    throw error;
  });
  return chosen;
}

async function tryCandidates(note: (message: string) => void): Promise<EngineSet> {
  const forced = forcedEngine();
  const set: EngineSet = { started: [], reasons: [], ...(forced ? { forced } : {}) };
  for (const candidate of CANDIDATES) {
    if (forced && candidate.name !== forced) {
      set.reasons.push(`${candidate.name}: not tried (${ENGINE_VARIABLE}=${forced})`);
      continue;
    }
    // tfjs-node runs every kernel natively; nothing after it would ever be chosen.
    if (set.started.includes('tfjs-node')) break;
    const started = await candidate
      .start(set.started)
      .catch((error: unknown) => ({ skip: `${candidate.name} failed to start: ${messageOf(error)}` }));
    if ('skip' in started) {
      set.reasons.push(started.skip);
      // Missing native speed is worth a word; the other engines skipping is routine.
      if (candidate.name === 'tfjs-node') note(started.skip);
      continue;
    }
    set.started.push(candidate.name);
    set.reasons.push(started.detail);
  }
  return set;
}

/**
 * The engine for a model of `spec`: tfjs-node when it runs, else wasm when every kernel that training
 * the model needs is registered there, else cpu.
 * @throws Error when no engine started (callers check {@link EngineSet.started} first).
 */
export function engineFor(set: EngineSet, spec: ModelSpec): ModelEngine {
  const [first] = set.started;
  if (!first) throw new Error(`tfjs: no engine could start (${set.reasons.join('; ')})`);
  if (first === 'tfjs-node')
    return { engine: first, reason: set.forced ? `${ENGINE_VARIABLE}=${set.forced}` : 'tfjs-node runs every kernel' };
  const missing = missingKernels(spec, TFJS_BACKEND.wasm)
    .map((m) => `${m.kernel} (layer "${m.layer}")`)
    .join(', ');
  if (set.forced === 'wasm')
    return { engine: first, reason: `${ENGINE_VARIABLE}=wasm${missing ? `; training will fail: the wasm engine lacks ${missing}` : ''}` };
  if (set.forced) return { engine: first, reason: `${ENGINE_VARIABLE}=${set.forced}` };
  if (!set.started.includes('wasm')) return { engine: first, reason: 'the wasm engine did not start' };
  if (!missing) return { engine: 'wasm', reason: 'the wasm engine has every kernel that training this model needs' };
  if (!set.started.includes('cpu'))
    return { engine: 'wasm', reason: `the cpu engine did not start; training will fail: the wasm engine lacks ${missing}` };
  return { engine: 'cpu', reason: `the wasm engine lacks ${missing}, which training this model needs` };
}

/**
 * Make `engine` the one tf ops run on, synchronously, so a model's computation (between two awaits)
 * cannot land on another model's engine. Tensors made on another engine follow lazily (tfjs moves
 * their data on first use), so a missed switch costs speed, never correctness.
 * @throws Error when the engine was not started by {@link startEngines}.
 */
export function selectEngine(engine: EngineName): void {
  const name = TFJS_BACKEND[engine];
  if (tf.getBackend() === name) return;
  const instance = tf.findBackend(name);
  if (!instance) throw new Error(`tfjs: the ${engine} engine was not started`);
  // For a backend that is already initialised, setBackend switches before it returns its promise.
  tf.setBackend(name).catch(() => undefined);
  if (tf.engine().backendName !== name) throw new Error(`tfjs: could not switch to the ${engine} engine`);
}

function forcedEngine(): EngineName | undefined {
  const value = process.env[ENGINE_VARIABLE];
  if (!value) return undefined;
  if (value in TFJS_BACKEND) return value as EngineName;
  throw new HeadstartError('USAGE', `${ENGINE_VARIABLE}=${value}: expected one of ${Object.keys(TFJS_BACKEND).join(', ')}`);
}

async function startTfjsNode(): Promise<{ detail: string } | { skip: string }> {
  // A variable specifier keeps TypeScript and bundlers from requiring the optional package.
  const specifier: string = TFJS_NODE;
  try {
    await import(specifier);
  } catch (error) {
    if (isModuleNotFound(error)) return { skip: NOT_INSTALLED };
    return { skip: `tfjs-node is installed but failed to load (${messageOf(error)})` };
  }
  // tfjs-node registers "tensorflow" with the tfjs-core it resolves, which may be another copy.
  if (!tf.findBackendFactory('tensorflow')) return { skip: 'tfjs-node loaded but registered with another copy of @tensorflow/tfjs-core' };
  if (!(await tf.setBackend('tensorflow'))) return { skip: 'tfjs-node loaded but its backend did not initialise' };
  await tf.ready();
  return { detail: 'using the tfjs-node engine (tfjs backend "tensorflow") for every model' };
}

async function startWasm(): Promise<{ detail: string } | { skip: string }> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    // Imported here, not at the top: importing it registers the "wasm" backend, which must not happen on import.
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (error) {
    return { skip: `the wasm engine is not available (${messageOf(error)})` };
  }
  if (!(await tf.setBackend('wasm'))) return { skip: 'the wasm engine did not initialise' };
  await tf.ready();
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const threads = wasm.getThreadsCount();
  // tfjs-backend-wasm has no convolution or embedding (gather) gradients of its own; ours are built from kernels it has.
  registerWasmConvGradients();
  registerWasmSegmentSum();
  // Its own SplitV copies the whole input once per piece, which a flat optimizer update of many parameters feels.
  registerWasmSplit();
  return {
    detail: `wasm engine ready (tfjs backend "wasm", ${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'}): used for each model whose training kernels it has (convolution and embedding gradients: headstart's)`,
  };
}

async function startCpu(before: readonly EngineName[]): Promise<{ detail: string } | { skip: string }> {
  if (!(await tf.setBackend('cpu'))) return { skip: 'the tfjs cpu backend did not initialise' };
  await tf.ready();
  // The cpu backend prints its own "install tfjs-node" banner on first use; our note already said so.
  const backend = tf.findBackend('cpu') as { firstUse?: boolean | undefined } | null;
  if (backend && 'firstUse' in backend) backend.firstUse = false;
  const use = before.includes('wasm') ? 'used for models the wasm engine cannot train' : 'used for every model';
  return { detail: `cpu engine ready (tfjs backend "cpu", pure JS): ${use}` };
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
