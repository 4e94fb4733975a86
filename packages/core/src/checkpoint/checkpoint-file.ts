import { createHash } from 'node:crypto';
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { CheckpointError, HeadstartError } from '../errors.js';
import { writeFileSafely } from '../io/safe-write.js';
import { FileWriteError } from '../io/write-error.js';
import { parameterShapes } from '../spec/shapes.js';
import type { NamedTensors } from '../tensors.js';
import { CHECKPOINT_FORMAT_VERSION, type CheckpointManifest } from './manifest.js';
import { parseManifest } from './manifest-schema.js';
import { assembleSafetensors, decodeSafetensors, packTensors } from './safetensors.js';
import {
  HEADER_LENGTH_BYTES,
  parseHeader,
  readHeaderLength,
  type SafetensorsDtype,
  type SafetensorsHeader,
  type TensorEntry,
} from './safetensors-header.js';
import { checkTensorsMatchSpec, OPTIMIZER_PREFIX } from './spec-tensor-check.js';

/** Key under `__metadata__` that holds the JSON manifest. */
export const MANIFEST_METADATA_KEY = 'headstart';

/**
 * Key under `__metadata__` that holds the sha-256 (hex) of the manifest and the tensor table, so
 * a damaged header that still parses (a changed label, swapped offsets, a renamed optimizer
 * tensor) is caught. Files without it (written before it existed) are read unchecked.
 */
export const HEADER_SHA256_METADATA_KEY = 'headstart.sha256';

/** What {@link writeCheckpoint} stores; the format, version and data hash are filled in. */
export interface CheckpointContent {
  manifest: Omit<CheckpointManifest, 'dataSha256' | 'format' | 'version'>;
  /** Every parameter of `manifest.spec`, with its canonical shape; written first, in this order. */
  weights: NamedTensors;
  /** Optimizer state, every name under `optim.`; written after the weights. */
  optimizer?: NamedTensors | undefined;
}

/** A checkpoint read and verified by {@link readCheckpoint}. */
export interface Checkpoint {
  manifest: CheckpointManifest;
  /** The spec's parameters, in file order. */
  weights: NamedTensors;
  /** Optimizer state (`optim.*`); empty when the checkpoint has none. */
  optimizer: NamedTensors;
  /** sha-256 (hex) of the whole file: the `parent` of a stage that starts from it. */
  sha256: string;
  file: string;
}

/** One tensor as listed in a checkpoint's header. */
export interface CheckpointTensorInfo {
  name: string;
  shape: number[];
  dtype: SafetensorsDtype;
  /** Size of its data in bytes. */
  bytes: number;
}

/** What {@link readManifest} finds in a checkpoint's header. */
export interface CheckpointOverview {
  file: string;
  manifest: CheckpointManifest;
  /** Every tensor in file order: weights, then optimizer state. */
  tensors: CheckpointTensorInfo[];
}

/**
 * Write a checkpoint safely: a temporary file beside `file`, written in full, flushed to disk,
 * read back and checked against the sha-256 of what was meant, then renamed over it, so a full
 * disk, a crash or a failed write never leaves a half-written file where a good one was.
 * Creates the parent directory.
 * @returns the sha-256 (hex) of the file written and its size in bytes.
 * @throws CheckpointError when the content would not read back (weights not matching the spec,
 * an optimizer tensor outside `optim.*`, an invalid manifest) or the file cannot be written.
 */
export async function writeCheckpoint(file: string, content: CheckpointContent): Promise<{ sha256: string; bytes: number }> {
  const bytes = encodeCheckpoint(file, content);
  const hash = sha256(bytes);
  await writeFileSafely(file, bytes, { sha256: hash }).catch((error: unknown) => {
    // The same line, as the checkpoint error callers of this function expect.
    throw error instanceof FileWriteError ? new CheckpointError(file, error.message.slice(file.length + 2), { cause: error }) : error;
  });
  return { sha256: hash, bytes: bytes.length };
}

/**
 * Read a checkpoint and verify it: the safetensors structure, the manifest, the data hash, every
 * parameter of the spec present with its shape, and the header hash (when the file records one).
 * @throws CheckpointError, one line naming the file and the problem.
 */
export async function readCheckpoint(file: string): Promise<Checkpoint> {
  await checkRegularFile(file);
  const bytes = await readFile(file).catch((error: unknown) => {
    throw fileSystemError(file, error);
  });
  const decoded = decodeSafetensors(bytes, file);
  const manifest = manifestOf(decoded.header, file);
  if (sha256(decoded.data) !== manifest.dataSha256) throw new CheckpointError(file, 'tensor data is corrupted (sha-256 mismatch)');
  checkTensorsMatchSpec(file, manifest.spec, decoded.header.entries, manifest.adapter !== undefined);
  checkHeaderSha256(decoded.header, file);
  const parameters = new Set(parameterShapes(manifest.spec).map((p) => p.name));
  const weights: NamedTensors = new Map();
  const optimizer: NamedTensors = new Map();
  for (const [name, tensor] of decoded.tensors) (parameters.has(name) ? weights : optimizer).set(name, tensor);
  return { manifest, weights, optimizer, sha256: sha256(bytes), file };
}

/**
 * Read only a checkpoint's header (never the tensor data, so it is quick on big files): the
 * manifest and the table of tensors. The header is validated as by {@link readCheckpoint}; the
 * data hash is not checked.
 * @throws CheckpointError, one line naming the file and the problem.
 */
export async function readManifest(file: string): Promise<CheckpointOverview> {
  let handle: FileHandle | undefined;
  try {
    await checkRegularFile(file);
    handle = await open(file, 'r');
    const size = (await handle.stat()).size;
    const headerLength = readHeaderLength(await readAt(handle, 0, Math.min(size, HEADER_LENGTH_BYTES)), size, file);
    const headerBytes = await readAt(handle, HEADER_LENGTH_BYTES, headerLength);
    const header = parseHeader(headerBytes, size - HEADER_LENGTH_BYTES - headerLength, file);
    const manifest = manifestOf(header, file);
    checkTensorsMatchSpec(file, manifest.spec, header.entries, manifest.adapter !== undefined);
    checkHeaderSha256(header, file);
    const tensors = header.entries.map((e) => ({ name: e.name, shape: e.shape, dtype: e.dtype, bytes: e.end - e.begin }));
    return { file, manifest, tensors };
  } catch (error) {
    throw fileSystemError(file, error);
  } finally {
    await handle?.close();
  }
}

function encodeCheckpoint(file: string, content: CheckpointContent): Buffer {
  try {
    checkTensorsMatchSpec(
      file,
      content.manifest.spec,
      [...content.weights].map(([name, t]) => ({ name, shape: t.shape })),
      content.manifest.adapter !== undefined,
    );
    const bytes = new Set(
      parameterShapes(content.manifest.spec)
        .filter((p) => p.dtype === 'uint8')
        .map((p) => p.name),
    );
    const packed = packTensors(combineTensors(content), bytes);
    const json = JSON.stringify(completeManifest(content.manifest, sha256(packed.data)));
    // Refuse to write what readCheckpoint would refuse to read.
    parseManifest(json, file);
    return assembleSafetensors(packed, { [MANIFEST_METADATA_KEY]: json, [HEADER_SHA256_METADATA_KEY]: headerSha256(json, packed.entries) });
  } catch (error) {
    if (error instanceof CheckpointError)
      throw new CheckpointError(file, `cannot write: ${error.message.slice(file.length + 2)}`, { cause: error });
    if (error instanceof RangeError) throw new CheckpointError(file, `cannot write: ${error.message}`, { cause: error });
    throw error;
  }
}

function completeManifest(manifest: CheckpointContent['manifest'], dataSha256: string): CheckpointManifest {
  // Field by field, so stray fields of a manifest read earlier (an old version, an old hash) never leak in.
  const { spec, labels, featureNames, preprocessing, tokenizer, training, provenance, adapter } = manifest;
  return {
    format: 'headstart',
    version: CHECKPOINT_FORMAT_VERSION,
    spec,
    labels,
    featureNames,
    preprocessing,
    ...(tokenizer ? { tokenizer } : {}),
    training,
    provenance,
    dataSha256,
    ...(adapter ? { adapter } : {}),
  };
}

function combineTensors(content: CheckpointContent): NamedTensors {
  const all: NamedTensors = new Map(content.weights);
  for (const [name, tensor] of content.optimizer ?? []) {
    if (!name.startsWith(OPTIMIZER_PREFIX)) throw new RangeError(`optimizer tensor "${name}" must be named ${OPTIMIZER_PREFIX}*`);
    if (all.has(name)) throw new RangeError(`optimizer tensor "${name}" has the name of a weight`);
    all.set(name, tensor);
  }
  return all;
}

function manifestOf(header: SafetensorsHeader, file: string): CheckpointManifest {
  const json = header.metadata[MANIFEST_METADATA_KEY];
  if (json === undefined) {
    throw new CheckpointError(file, `not a headstart checkpoint: no __metadata__.${MANIFEST_METADATA_KEY} manifest`);
  }
  return parseManifest(json, file);
}

/**
 * Checked after everything else, so a damage with a more specific message (a bad field, a wrong
 * shape) gets that message; this catches what still parses and fits the spec.
 */
function checkHeaderSha256(header: SafetensorsHeader, file: string): void {
  const recorded = header.metadata[HEADER_SHA256_METADATA_KEY];
  if (recorded === undefined) return;
  if (recorded !== headerSha256(header.metadata[MANIFEST_METADATA_KEY]!, header.entries)) {
    throw new CheckpointError(file, 'header is corrupted (sha-256 mismatch of the manifest and tensor table)');
  }
}

/** The manifest text and the tensor table as parsed, so the header's padding and key order do not count. */
function headerSha256(manifestJson: string, entries: readonly TensorEntry[]): string {
  const table = entries.map((e) => [e.name, e.dtype, e.shape, e.begin, e.end]);
  return sha256(Buffer.from(JSON.stringify([manifestJson, table]), 'utf8'));
}

/** Before opening: a pipe would block the open, and a device like /dev/zero would be read until memory runs out. */
async function checkRegularFile(file: string): Promise<void> {
  const info = await stat(file).catch((error: unknown) => {
    throw fileSystemError(file, error);
  });
  if (info.isDirectory()) throw new CheckpointError(file, FILE_SYSTEM_REASONS.EISDIR!);
  if (!info.isFile()) throw new CheckpointError(file, 'not a regular file (a device, pipe or socket); expected a checkpoint file');
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** A file-system failure as a one-line CheckpointError; headstart's own errors and others pass through. */
function fileSystemError(file: string, error: unknown): unknown {
  if (error instanceof HeadstartError) return error;
  const reason = FILE_SYSTEM_REASONS[String((error as { code?: unknown } | null)?.code)];
  if (reason === undefined) return error;
  return new CheckpointError(file, reason, { cause: error });
}

const FILE_SYSTEM_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory, expected a checkpoint file',
  ENOTDIR: 'a parent of the path is not a directory',
};

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
