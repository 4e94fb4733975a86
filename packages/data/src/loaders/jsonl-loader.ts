import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { DataError, type DataRecord, type Dataset, type DatasetLoader, type Label, type LoadOptions } from '@headstart/core';
import { chunkRecords, collectRecords } from '../records/collect-records.js';
import { sha256OfFile } from '../records/file-hash.js';
import { LOADER_VERSION } from './loader-version.js';
import { flattenNested, preview } from './nested-array.js';
import { readError } from '../records/read-error.js';

/** Field names tried, in order, for the features of a JSONL record. */
export const JSONL_FEATURE_FIELDS = ['features', 'x'] as const;

/**
 * The `jsonl` loader (`.jsonl`, `.ndjson`): one JSON object a line, blank lines skipped.
 *
 * - features: the `features` field, else `x`; a list of numbers, or nested lists (row-major,
 *   rectangular) whose shape becomes `sampleShape` (`[[..8..], ×8]` → `[8, 8]`).
 * - label: the field named `options.label`; when that option is not given, `label`, else `y`.
 *   A string or a number.
 *
 * With `labelled: 'optional'` the first record decides whether the file is labelled.
 */
export function jsonlLoader(): DatasetLoader {
  return {
    name: 'jsonl',
    meta: { version: LOADER_VERSION, description: 'JSON lines: {"features": [...], "label": ...} per line' },
    extensions: ['.jsonl', '.ndjson'],
    canLoad: (path, isDirectory) => !isDirectory && /\.(jsonl|ndjson)$/i.test(path),
    load: loadJsonl,
    records: (file, options = {}) => readJsonl(file, options),
    chunks: (file, options = {}) => chunkRecords(readJsonl(file, options), { file, format: 'jsonl', options }, options.chunkSize),
  };
}

async function loadJsonl(file: string, options: LoadOptions = {}): Promise<Dataset> {
  const [data, sha256] = await Promise.all([
    collectRecords(readJsonl(file, options), { file, format: 'jsonl', options }),
    sha256OfFile(file),
  ]);
  return { ...data, source: { ...data.source, sha256 } };
}

async function* readJsonl(file: string, options: LoadOptions): AsyncGenerator<DataRecord> {
  const handle = await open(file).catch((error: unknown) => Promise.reject(readError(file, error)));
  const input = handle.createReadStream();
  const lines = createInterface({ input, crlfDelay: Infinity });
  const labelFields = options.label !== undefined ? [options.label] : ['label', 'y'];
  let labelled: boolean | undefined = options.labelled === 'optional' ? undefined : (options.labelled ?? true);
  let line = 0;
  let records = 0;
  try {
    for await (const text of lines) {
      line++;
      const trimmed = (line === 1 ? text.replace(/^\uFEFF/, '') : text).trim();
      if (trimmed === '') continue;
      const fail = (problem: string): never => {
        throw new DataError(file, problem, { line });
      };
      const object = parseObject(trimmed, fail);
      const labelField = labelFields.find((field) => field in object);
      labelled ??= labelField !== undefined;
      records++;
      yield { ...readFeatures(object, fail), line, ...(labelled ? { label: readLabel(object, labelField, labelFields, fail) } : {}) };
    }
  } finally {
    // Destroying the stream closes the file handle too, also when the reader stops early.
    lines.close();
    input.destroy();
  }
  if (records === 0) throw new DataError(file, 'no records; expected one JSON object a line');
}

/** One JSONL line as an object, or a one-line error through `fail`. @internal */
export function parseObject(text: string, fail: (problem: string) => never): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    fail(`not valid JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`expected a JSON object, found ${preview(value)}`);
  return value as Record<string, unknown>;
}

function readFeatures(object: Record<string, unknown>, fail: (problem: string) => never): { features: Float32Array; shape: number[] } {
  const field = JSONL_FEATURE_FIELDS.find((name) => name in object);
  if (field === undefined) fail('no "features" (or "x") field');
  const { values, shape } = flattenNested(object[field], field, fail);
  return { features: values, shape };
}

/** The label of a JSONL record from the first of `fields` it has. @internal */
export function readLabel(
  object: Record<string, unknown>,
  field: string | undefined,
  fields: string[],
  fail: (problem: string) => never,
): Label {
  if (field === undefined) fail(`no ${fields.map((f) => `"${f}"`).join(' (or ')}${fields.length > 1 ? ')' : ''} field for the label`);
  const label = object[field];
  if (typeof label === 'number' && Number.isFinite(label)) return label;
  if (typeof label === 'string' && label.trim() !== '') return label;
  return fail(`"${field}" must be a string or a number, found ${preview(label)}`);
}
