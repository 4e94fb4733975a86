import { forgeCheckpoint, editHeader, editManifest, rawSafetensors, smallOptimizer, smallWeights } from './small-checkpoint.js';

/** A damaged file and the exact problem a reader must report (the message is `<file>: <problem>`). */
export interface Corruption {
  name: string;
  bytes: () => Buffer;
  problem: string;
}

const f32 = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

/** Files broken at the safetensors level: length field, header JSON, entries, layout. */
export const SAFETENSORS_CORRUPTIONS: Corruption[] = [
  { name: 'empty file', bytes: () => Buffer.alloc(0), problem: 'not a safetensors file: 0 bytes, too short for the 8-byte header length' },
  { name: 'shorter than the length field', bytes: () => Buffer.alloc(7), problem: 'not a safetensors file: 7 bytes, too short for the 8-byte header length' },
  {
    name: 'header length larger than the file',
    bytes: () => rawSafetensors('{}', 0, 100n),
    problem: 'header length 100 bytes is larger than the rest of the file (2 bytes); the file is truncated or not safetensors',
  },
  {
    name: 'header length of 2^60',
    bytes: () => rawSafetensors('{}', 0, 2n ** 60n),
    problem: 'header length 1152921504606846976 bytes exceeds the 100 MiB limit; the file is corrupt or not safetensors',
  },
  {
    name: 'header length one above the cap',
    bytes: () => rawSafetensors('{}', 0, 100n * 1024n * 1024n + 1n),
    problem: 'header length 104857601 bytes exceeds the 100 MiB limit; the file is corrupt or not safetensors',
  },
  { name: 'empty header', bytes: () => rawSafetensors(''), problem: 'header is not valid JSON' },
  { name: 'header not UTF-8', bytes: () => rawSafetensors(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), problem: 'header is not valid UTF-8' },
  { name: 'header not JSON', bytes: () => rawSafetensors('{"w": {"dtype": '), problem: 'header is not valid JSON' },
  { name: 'header a JSON array', bytes: () => rawSafetensors([]), problem: 'header is not a JSON object' },
  { name: 'header JSON null', bytes: () => rawSafetensors(null), problem: 'header is not a JSON object' },
  { name: 'entry not an object', bytes: () => rawSafetensors({ w: [1, 2] }), problem: 'tensor "w": entry is not an object, found array' },
  { name: 'missing dtype', bytes: () => rawSafetensors({ w: { shape: [1], data_offsets: [0, 4] } }, 4), problem: 'tensor "w": missing dtype' },
  { name: 'dtype not a string', bytes: () => rawSafetensors({ w: { ...f32([1], 0, 4), dtype: 32 } }, 4), problem: 'tensor "w": dtype must be a string, found number' },
  { name: 'dtype F16', bytes: () => rawSafetensors({ w: { ...f32([2], 0, 4), dtype: 'F16' } }, 4), problem: 'tensor "w": dtype F16 is not supported (headstart reads F32 and U8 only)' },
  { name: 'missing shape', bytes: () => rawSafetensors({ w: { dtype: 'F32', data_offsets: [0, 4] } }, 4), problem: 'tensor "w": missing shape' },
  { name: 'negative dimension', bytes: () => rawSafetensors({ w: f32([-1], 0, 4) }, 4), problem: 'tensor "w": shape must be an array of non-negative integers' },
  { name: 'shape a string', bytes: () => rawSafetensors({ w: { ...f32([1], 0, 4), shape: '1' } }, 4), problem: 'tensor "w": shape must be an array of non-negative integers' },
  { name: 'missing data_offsets', bytes: () => rawSafetensors({ w: { dtype: 'F32', shape: [1] } }, 4), problem: 'tensor "w": missing data_offsets' },
  { name: 'one offset', bytes: () => rawSafetensors({ w: { ...f32([1], 0, 4), data_offsets: [0] } }, 4), problem: 'tensor "w": data_offsets must be two non-negative integers [begin, end]' },
  { name: 'fractional offset', bytes: () => rawSafetensors({ w: f32([1], 0, 4.5) }, 4), problem: 'tensor "w": data_offsets must be two non-negative integers [begin, end]' },
  { name: 'offsets out of order', bytes: () => rawSafetensors({ w: f32([1], 4, 0) }, 4), problem: 'tensor "w": data_offsets [4, 0] end before they begin' },
  { name: 'offsets past the end', bytes: () => rawSafetensors({ w: f32([4], 0, 16) }, 12), problem: 'tensor "w": data_offsets [0, 16] run past the end of the data (12 bytes)' },
  { name: 'offsets not matching the shape', bytes: () => rawSafetensors({ w: f32([3], 0, 8) }, 8), problem: 'tensor "w": data_offsets [0, 8] hold 8 bytes but shape [3] of F32 needs 12' },
  {
    name: 'overlapping tensors',
    bytes: () => rawSafetensors({ a: f32([2], 0, 8), b: f32([2], 4, 12) }, 12),
    problem: 'tensor "b": data_offsets [4, 12] overlap tensor "a" [0, 8]',
  },
  {
    name: 'a gap between tensors',
    bytes: () => rawSafetensors({ a: f32([1], 0, 4), b: f32([1], 8, 12) }, 12),
    problem: 'tensor "b": data_offsets start at 8, leaving a gap after tensor "a" (which ends at 4)',
  },
  { name: 'a gap at the start', bytes: () => rawSafetensors({ a: f32([1], 4, 8) }, 8), problem: 'tensor "a": data_offsets start at 4, leaving a gap at the start of the data' },
  { name: 'trailing bytes', bytes: () => rawSafetensors({ a: f32([1], 0, 4) }, 7), problem: '3 trailing bytes after the last tensor' },
  { name: 'metadata not an object', bytes: () => rawSafetensors({ __metadata__: 'headstart' }), problem: '__metadata__ is not an object of strings' },
  { name: 'metadata value not a string', bytes: () => rawSafetensors({ __metadata__: { headstart: { format: 'headstart' } } }), problem: '__metadata__.headstart must be a string, found object' },
];

function goodCheckpoint(): Buffer {
  const weights = smallWeights();
  return forgeCheckpoint(new Map([...weights, ...smallOptimizer(weights)]));
}

/** Files that are valid safetensors but not valid headstart checkpoints. */
export const CHECKPOINT_CORRUPTIONS: Corruption[] = [
  {
    name: 'no __metadata__',
    bytes: () => editHeader(goodCheckpoint(), ({ __metadata__: _, ...tensors }) => tensors),
    problem: 'not a headstart checkpoint: no __metadata__.headstart manifest',
  },
  {
    name: 'no headstart key in __metadata__',
    bytes: () => editHeader(goodCheckpoint(), (header) => ({ ...header, __metadata__: { format: 'pt' } })),
    problem: 'not a headstart checkpoint: no __metadata__.headstart manifest',
  },
  { name: 'manifest not JSON', bytes: () => editManifest(goodCheckpoint(), () => '{"format":'), problem: 'manifest (__metadata__.headstart) is not valid JSON' },
  { name: 'manifest not an object', bytes: () => editManifest(goodCheckpoint(), () => '[1]'), problem: 'manifest: (root): Invalid input: expected object, received array' },
  {
    name: 'wrong format',
    bytes: () => editManifest(goodCheckpoint(), (m) => ({ ...m, format: 'keras' })),
    problem: 'manifest: format: Invalid input: expected "headstart"',
  },
  {
    name: 'newer format version',
    bytes: () => editManifest(goodCheckpoint(), (m) => ({ ...m, version: 2, spec: 'a future spec' })),
    problem: 'written by a newer headstart (checkpoint format version 2; this version reads up to 1)',
  },
  {
    name: 'missing preprocessing',
    bytes: () => editManifest(goodCheckpoint(), ({ preprocessing: _, ...m }) => m),
    problem: 'manifest: preprocessing: Invalid input: expected object, received undefined',
  },
  {
    name: 'unknown preprocessing kind',
    bytes: () => editManifest(goodCheckpoint(), (m) => ({ ...m, preprocessing: { kind: 'whiten' } })),
    problem: "manifest: preprocessing.kind: Invalid discriminator value. Expected 'none' | 'scale' | 'standardize'",
  },
  {
    name: 'training epoch a string',
    bytes: () => editManifest(goodCheckpoint(), (m) => ({ ...m, training: { ...(m.training as object), epoch: '3' } })),
    problem: 'manifest: training.epoch: Invalid input: expected number, received string',
  },
  {
    name: 'provenance entry without backend',
    bytes: () => editManifest(goodCheckpoint(), (m) => ({ ...m, provenance: [{ strategy: 'full-retrain', options: {}, startedAt: 'now' }] })),
    problem: 'manifest: provenance[0].backend: Invalid input: expected string, received undefined',
  },
  {
    name: 'a label neither string nor number',
    bytes: () => editManifest(goodCheckpoint(), (m) => ({ ...m, labels: ['cat', true] })),
    problem: 'manifest: labels[1]: Invalid input',
  },
  {
    name: 'data hash not hex',
    bytes: () => editManifest(goodCheckpoint(), (m) => ({ ...m, dataSha256: 'md5:1234' })),
    problem: 'manifest: dataSha256: expected a sha-256 hex digest (64 lowercase hex digits)',
  },
  {
    name: 'spec invalid',
    bytes: () => editManifest(goodCheckpoint(), (m) => ({ ...m, spec: { inputShape: [4], layers: [{ type: 'dense', name: 'hidden', units: 0 }] } })),
    problem: 'manifest spec: layers[0] "hidden": units: Too small: expected number to be >0',
  },
  {
    name: 'tensor data corrupted',
    bytes: () => {
      const bytes = goodCheckpoint();
      bytes[bytes.length - 1]! ^= 0x01;
      return bytes;
    },
    problem: 'tensor data is corrupted (sha-256 mismatch)',
  },
  {
    name: 'a shape disagreeing with the spec',
    bytes: () => {
      const weights = smallWeights();
      weights.set('hidden.kernel', { shape: [3, 4], data: weights.get('hidden.kernel')!.data });
      return forgeCheckpoint(weights);
    },
    problem: 'parameter hidden.kernel: expected shape [4, 3], found [3, 4]',
  },
  {
    name: 'a parameter missing',
    bytes: () => {
      const weights = smallWeights();
      weights.delete('out.bias');
      return forgeCheckpoint(weights);
    },
    problem: 'parameter out.bias is missing (expected shape [2])',
  },
  {
    name: 'an unknown tensor',
    bytes: () => forgeCheckpoint(new Map([...smallWeights(), ['extra.kernel', { shape: [1], data: new Float32Array(1) }]])),
    problem: 'tensor "extra.kernel" is not a parameter of the spec (and not optimizer state under optim.*)',
  },
];
