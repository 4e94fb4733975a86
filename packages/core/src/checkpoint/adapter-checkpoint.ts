import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { CheckpointError, HeadstartError } from '../errors.js';
import { parameterShapes } from '../spec/shapes.js';
import { sameShape, type NamedTensors } from '../tensors.js';
import { type Checkpoint, readCheckpoint } from './checkpoint-file.js';
import type { AdapterRecord } from './manifest.js';

/**
 * How an adapter saved at `adapterFile` records its base `baseFile`: relative to the adapter's
 * folder, so the two can be moved together and read from any working directory.
 */
export function baseRecordFor(adapterFile: string, baseFile: string): string {
  return relative(dirname(resolve(adapterFile)), resolve(baseFile));
}

/** The base the adapter `adapterFile` records, as a path from the working directory. */
export function recordedBase(adapterFile: string, adapter: Pick<AdapterRecord, 'base'>): string {
  const recorded = adapter.base.file;
  return isAbsolute(recorded) ? recorded : join(dirname(adapterFile), recorded);
}

/**
 * Read a checkpoint ready to run: a plain one as it is; an adapter-only one (its manifest's
 * `adapter`) with the parameters it lacks read from its base — `base` when given (`--base`), else
 * the path the manifest records.
 * @throws HeadstartError (USAGE) when the base's sha-256 is not the one recorded; CheckpointError
 * when the base lacks a parameter or holds it in another shape.
 */
export async function readWithBase(file: string, base?: string): Promise<Checkpoint> {
  const checkpoint = await readCheckpoint(file);
  const adapter = checkpoint.manifest.adapter;
  if (!adapter) return checkpoint;
  const baseFile = base ?? recordedBase(file, adapter);
  const flag = base === undefined ? `its base ${baseFile} (recorded in ${file})` : `--base ${baseFile}`;
  const read = await readCheckpoint(baseFile).catch((error: unknown) => {
    if (error instanceof CheckpointError) throw new HeadstartError('USAGE', `${file} is a LoRA adapter; ${flag}: ${error.message}`);
    throw error;
  });
  if (read.sha256 !== adapter.base.sha256) {
    throw new HeadstartError(
      'USAGE',
      `${flag}: sha-256 ${read.sha256.slice(0, 12)}… is not the base the adapter ${file} was trained on (${adapter.base.sha256.slice(0, 12)}…)`,
    );
  }
  return { ...checkpoint, weights: completeWeights(file, checkpoint, read) };
}

/** Every parameter of the adapter's spec: its own tensors, the rest the base's, in spec order. */
function completeWeights(file: string, adapter: Checkpoint, base: Checkpoint): NamedTensors {
  const weights: NamedTensors = new Map();
  for (const p of parameterShapes(adapter.manifest.spec)) {
    const tensor = adapter.weights.get(p.name) ?? base.weights.get(p.name);
    if (!tensor) throw new CheckpointError(file, `parameter ${p.name} is neither in the adapter nor in its base ${base.file}`);
    if (!sameShape(tensor.shape, p.shape))
      throw new CheckpointError(file, `parameter ${p.name}: expected shape [${p.shape}], its base ${base.file} holds [${tensor.shape}]`);
    weights.set(p.name, tensor);
  }
  return weights;
}
