import { createHash } from 'node:crypto';
import { createRng } from '../../rng.js';
import { initializeWeights } from '../../spec/initializers.js';
import { validateSpec, type ModelSpec } from '../../spec/model-spec.js';
import type { NamedTensors } from '../../tensors.js';
import type { CheckpointContent } from '../checkpoint-file.js';
import { CHECKPOINT_FORMAT_VERSION } from '../manifest.js';
import { assembleSafetensors, packTensors } from '../safetensors.js';

/** A 4 → 3 (relu) → 2 (softmax) MLP: hidden.kernel [4, 3], hidden.bias [3], out.kernel [3, 2], out.bias [2]. */
export function smallSpec(): ModelSpec {
  return validateSpec({
    inputShape: [4],
    layers: [
      { type: 'dense', name: 'hidden', units: 3, activation: 'relu' },
      { type: 'dense', name: 'out', units: 2, activation: 'softmax' },
    ],
  });
}

/** Seeded initial weights of {@link smallSpec}. */
export function smallWeights(spec = smallSpec()): NamedTensors {
  return initializeWeights(spec, createRng(1));
}

/** Adam-like optimizer state for {@link smallSpec}, with a scalar step. */
export function smallOptimizer(weights: NamedTensors): NamedTensors {
  const state: NamedTensors = new Map([['optim.step', { shape: [], data: new Float32Array([42]) }]]);
  for (const [name, t] of weights) {
    state.set(`optim.m.${name}`, { shape: [...t.shape], data: t.data.map((v) => v / 10) });
  }
  return state;
}

/** A complete checkpoint content for {@link smallSpec}, exercising every manifest field. */
export function smallContent(): CheckpointContent {
  const spec = smallSpec();
  const weights = smallWeights(spec);
  return {
    manifest: {
      spec,
      labels: ['cat', 7],
      preprocessing: { kind: 'standardize', mean: [0, 1, 2, 3], std: [1, 1, 0.5, 2] },
      training: {
        stage: 1,
        phase: 'finetune',
        epoch: 3,
        step: 120,
        cursor: 5,
        rng: [1, 2, 3, 4],
        complete: false,
        earlyStopping: { best: 0.25, bestEpoch: 2, wait: 1 },
        trainable: ['out.kernel', 'out.bias'],
      },
      provenance: [
        {
          strategy: 'frozen-base',
          strategyVersion: '1.0.0',
          options: { epochs: 5, lr: 0.01, freeze: ['hidden.*'] },
          data: { file: 'digits.csv', sha256: 'a'.repeat(64), format: 'csv' },
          backend: 'tfjs',
          engine: 'cpu',
          parent: 'b'.repeat(64),
          startedAt: '2024-01-01T00:00:00.000Z',
          finishedAt: '2024-01-01T00:01:00.000Z',
          metrics: { accuracy: 0.9, loss: 0.3 },
        },
      ],
    },
    weights,
    optimizer: smallOptimizer(weights),
  };
}

/**
 * The bytes of a checkpoint built without writeCheckpoint's checks: any tensors, any manifest
 * fields (a correct `dataSha256` unless the patch sets one), for files writeCheckpoint refuses to make.
 */
export function forgeCheckpoint(tensors: NamedTensors, manifestPatch: Record<string, unknown> = {}): Buffer {
  const packed = packTensors(tensors);
  const content = smallContent();
  const manifest = {
    format: 'headstart',
    version: CHECKPOINT_FORMAT_VERSION,
    ...content.manifest,
    dataSha256: createHash('sha256').update(packed.data).digest('hex'),
    ...manifestPatch,
  };
  return assembleSafetensors(packed, { headstart: JSON.stringify(manifest) });
}

/**
 * Raw safetensors bytes: a length field (the header's true length unless given), the header
 * (JSON-encoded unless a string or bytes) and `data` (bytes, or that many zero bytes).
 */
export function rawSafetensors(header: unknown, data: Uint8Array | number = 0, headerLength?: bigint): Buffer {
  const json = Buffer.isBuffer(header) ? header : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(headerLength ?? BigInt(json.length));
  const body = typeof data === 'number' ? Buffer.alloc(data) : Buffer.from(data);
  return Buffer.concat([prefix, json, body]);
}

/** Rewrite the JSON header of a safetensors file, keeping its data section. */
export function editHeader(bytes: Buffer, edit: (header: Record<string, unknown>) => unknown): Buffer {
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Record<string, unknown>;
  return rawSafetensors(edit(header), bytes.subarray(8 + length));
}

/** Rewrite the manifest inside a checkpoint's header, keeping everything else. */
export function editManifest(bytes: Buffer, edit: (manifest: Record<string, unknown>) => unknown): Buffer {
  return editHeader(bytes, (header) => {
    const metadata = header.__metadata__ as Record<string, string>;
    const manifest = JSON.parse(metadata.headstart!) as Record<string, unknown>;
    const edited = edit(manifest);
    return { ...header, __metadata__: { ...metadata, headstart: typeof edited === 'string' ? edited : JSON.stringify(edited) } };
  });
}
