import { join } from 'node:path';
import { readCheckpoint, writeCheckpoint, type Checkpoint, type ModelSpec, type NamedTensors } from '@headstart/core';

/**
 * Write weights and optimizer state with core's `writeCheckpoint` into `dir`, and read the file back
 * with `readCheckpoint`, as a training run and its resumption would.
 */
export async function throughCheckpoint(
  dir: string,
  name: string,
  backend: string,
  spec: ModelSpec,
  weights: NamedTensors,
  optimizer: NamedTensors,
): Promise<Checkpoint> {
  const file = join(dir, `${name}.safetensors`);
  await writeCheckpoint(file, {
    manifest: {
      spec,
      preprocessing: { kind: 'none' },
      provenance: [{ strategy: 'conformance', options: {}, backend, startedAt: new Date().toISOString() }],
    },
    weights,
    optimizer,
  });
  return readCheckpoint(file);
}
