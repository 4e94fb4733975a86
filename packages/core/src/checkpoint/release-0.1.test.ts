import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { isChain } from '../spec/chain.js';
import { validateSpec } from '../spec/model-spec.js';
import { parameterShapes } from '../spec/shapes.js';
import { readCheckpoint } from './checkpoint-file.js';

/** Written by the 0.1 CLI (see __fixtures__/release-0.1/README.md). */
const FILE = join(import.meta.dirname, '__fixtures__', 'release-0.1', 'digits-cnn.safetensors');

/** The manifest's spec exactly as 0.1 wrote it, from the safetensors header. */
async function rawSpec(): Promise<unknown> {
  const bytes = await readFile(FILE);
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8')) as {
    __metadata__: Record<string, string>;
  };
  return (JSON.parse(header.__metadata__.headstart!) as { spec: unknown }).spec;
}

describe('a checkpoint written by release 0.1', () => {
  test('reads, and its spec has the same parameters, in the same order, with the same shapes', async () => {
    const checkpoint = await readCheckpoint(FILE);
    expect(parameterShapes(checkpoint.manifest.spec).map((p) => `${p.name} [${p.shape}] ${p.role}`)).toEqual([
      'conv1.kernel [3,3,1,2] kernel',
      'conv1.bias [2] bias',
      'bn1.gamma [2] scale',
      'bn1.beta [2] shift',
      'bn1.movingMean [2] statistic',
      'bn1.movingVariance [2] statistic',
      'head.kernel [32,10] kernel',
      'head.bias [10] bias',
    ]);
    expect([...checkpoint.weights.keys()]).toEqual(parameterShapes(checkpoint.manifest.spec).map((p) => p.name));
    expect(isChain(checkpoint.manifest.spec)).toBe(true);
  });

  test('its spec parses to exactly what 0.1 wrote: no field added, dropped or reordered', async () => {
    const raw = await rawSpec();
    expect(JSON.stringify(validateSpec(raw))).toBe(JSON.stringify(raw));
  });
});
