import { HeadstartError } from '@headstart/core';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { z } from 'zod';
import { GRAPH_MODEL_FORMAT } from './graph-def.js';

/** One weight in a tfjs weights manifest. */
export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: string;
  /** Quantized storage: `value = stored · scale + min` for uint8/uint16; float16 has neither. */
  quantization?: { dtype: string; scale?: number | undefined; min?: number | undefined } | undefined;
}

/** A group of weights stored in one or more shard files, concatenated in order. */
export interface WeightGroup {
  paths: string[];
  weights: WeightEntry[];
}

/**
 * The `model.json` of a tfjs layers model, as `model.save('file://…')` and the Keras converter write
 * it. `modelTopology` is the Keras model config (for the converter, wrapped in `model_config`).
 */
export interface LayersModelJson {
  format?: string | undefined;
  generatedBy?: string | undefined;
  convertedBy?: string | null | undefined;
  modelTopology: unknown;
  weightsManifest: WeightGroup[];
  userDefinedMetadata?: Record<string, unknown> | undefined;
}

/** Where an export writes: the model.json file and the one weights shard beside it. */
export interface ExportPaths {
  dir: string;
  modelJson: string;
  /** The shard's file name, relative to `dir` as the manifest records it. */
  weightsFile: string;
}

/**
 * `out` ending in `.json` names the model file (weights go beside it as `<stem>.weights.bin`);
 * anything else is a directory that gets `model.json` and `weights.bin`, as tfjs-node's `file://` saver writes.
 */
export function exportPaths(out: string): ExportPaths {
  if (out.endsWith('.json')) {
    return { dir: dirname(out), modelJson: out, weightsFile: `${basename(out, '.json')}.weights.bin` };
  }
  return { dir: out, modelJson: join(out, 'model.json'), weightsFile: 'weights.bin' };
}

/**
 * Read a layers model's `model.json` (or the one in a directory).
 * @throws HeadstartError (BAD_INPUT) naming the file when it is missing, not JSON or not a tfjs model,
 *   or when a weightsManifest group or entry lacks a field or holds the wrong kind of value (naming it);
 *   (NOT_SUPPORTED) for a graph model, which has no layers to map.
 */
export async function readModelJson(file: string): Promise<{ path: string; json: LayersModelJson }> {
  const path = existsSync(file) && statSync(file).isDirectory() ? join(file, 'model.json') : file;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new HeadstartError('BAD_INPUT', `${path}: ${missing ? 'no such file' : (error as Error).message}`, { cause: error });
  }
  let json: Partial<LayersModelJson>;
  try {
    json = JSON.parse(text) as Partial<LayersModelJson>;
  } catch (error) {
    throw new HeadstartError('BAD_INPUT', `${path}: not JSON (${(error as Error).message}); expected a tfjs model.json`, { cause: error });
  }
  if (json?.format === GRAPH_MODEL_FORMAT) {
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `${path}: a tfjs graph model (format "${GRAPH_MODEL_FORMAT}", as tensorflowjs_converter and headstart's export of text models write it) cannot be imported back: it holds ops, not layers to map; import the checkpoint or ONNX file it was made from, or a tfjs layers model`,
    );
  }
  if (typeof json !== 'object' || json === null || typeof json.modelTopology !== 'object' || json.modelTopology === null) {
    throw new HeadstartError('BAD_INPUT', `${path}: not a tfjs layers model (no modelTopology)`);
  }
  if (!Array.isArray(json.weightsManifest))
    throw new HeadstartError('BAD_INPUT', `${path}: no weightsManifest; the model's weights are not listed`);
  return { path, json: { ...json, weightsManifest: parseWeightsManifest(path, json.weightsManifest) } as LayersModelJson };
}

// What each manifest field must hold, worded for the error message.
const EXPECTED = {
  group: 'an object with paths and weights',
  paths: 'an array of shard file names',
  weights: 'an array of weight entries',
  entry: 'an object with name, shape and dtype',
  name: 'a string',
  shape: 'an array of non-negative integers',
  dtype: 'a string',
  quantization: 'an object with a dtype string',
} as const;

const weightEntrySchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.string(),
  quantization: z.object({ dtype: z.string(), scale: z.number().optional(), min: z.number().optional() }).optional(),
});
const weightGroupSchema = z.object({ paths: z.array(z.string()), weights: z.array(weightEntrySchema) });

/**
 * The manifest checked group by group and entry by entry, since it is data from elsewhere.
 * @throws HeadstartError (BAD_INPUT) naming the file, the group and entry index and the field.
 */
function parseWeightsManifest(path: string, manifest: unknown[]): WeightGroup[] {
  return manifest.map((group, g) => {
    const parsed = weightGroupSchema.safeParse(group);
    if (parsed.success) return parsed.data;
    throw new HeadstartError('BAD_INPUT', `${path}: ${describeManifestIssue(g, group, parsed.error.issues[0]!.path)}`);
  });
}

/** `weightsManifest[0].weights[1] "dense/kernel": shape: missing; expected …` for the field an issue is in. */
function describeManifestIssue(g: number, group: unknown, issuePath: PropertyKey[]): string {
  const where = `weightsManifest[${g}]`;
  const [key, index, field] = issuePath;
  const problem = (expected: string, value: unknown) =>
    value === undefined ? `missing; expected ${expected}` : `expected ${expected}, got ${JSON.stringify(value)}`;
  if (key !== 'paths' && key !== 'weights') return `${where}: ${problem(EXPECTED.group, group)}`;
  const list = (group as Record<string, unknown>)[key];
  if (key === 'paths' || typeof index !== 'number') return `${where}: ${key}: ${problem(EXPECTED[key], list)}`;
  const entry = (list as unknown[])[index];
  if (typeof field !== 'string' || !(field in EXPECTED)) return `${where}.weights[${index}]: ${problem(EXPECTED.entry, entry)}`;
  const record = entry as Record<string, unknown>;
  const name = typeof record.name === 'string' ? ` "${record.name}"` : '';
  return `${where}.weights[${index}]${name}: ${field}: ${problem(EXPECTED[field as keyof typeof EXPECTED], record[field])}`;
}

/**
 * A shard path from a manifest, resolved against the model.json's directory. A manifest is data from
 * elsewhere, so paths that leave that directory (absolute, `..`) are refused rather than read.
 */
export function shardPath(modelJson: string, shard: string): string {
  const normalized = normalize(shard);
  if (isAbsolute(shard) || normalized === '..' || normalized.startsWith(`..${sep}`) || /^[a-z]+:\/\//i.test(shard)) {
    throw new HeadstartError(
      'BAD_INPUT',
      `${modelJson}: weights path "${shard}" is outside the model's directory; shards must sit beside model.json`,
    );
  }
  return join(dirname(modelJson), normalized);
}
