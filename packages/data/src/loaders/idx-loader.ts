import { access } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DataError, type ChunkOptions, type DataRecord, type Dataset, type DatasetLoader, type LoadOptions } from '@headstart/core';
import { chunkRecords, collectRecords } from '../records/collect-records.js';
import type { CollectContext } from '../records/record-collector.js';
import { sha256OfFiles } from '../records/file-hash.js';
import { readIdx, type IdxHeader } from './idx-file.js';
import { LOADER_VERSION } from './loader-version.js';
import { formatShape } from '../records/sample-shape.js';

const IDX_NAME = /(idx\d+-ubyte|\.idx\d*)(\.gz)?$/i;

/**
 * The `idx` loader: MNIST's IDX format (`train-images-idx3-ubyte`, `*.idx3-ubyte`, `*.idx`,
 * each optionally `.gz`). Items of rows × cols become samples of shape `[rows, cols, 1]`;
 * other ranks keep their item shape. Every IDX element type is read (unsigned byte … double).
 *
 * The labels are the 1-dimensional IDX file beside the images, named by replacing `images` with
 * `labels` and `idx3` with `idx1` (`train-labels-idx1-ubyte`, `labels.idx`). `source.sha256`
 * covers the images' bytes followed by the labels' bytes.
 */
export function idxLoader(): DatasetLoader {
  return {
    name: 'idx',
    meta: {
      version: LOADER_VERSION,
      description: 'IDX files as MNIST ships them (gzipped or not), with the labels file beside the images',
    },
    extensions: ['-idx3-ubyte', '.idx3-ubyte', '.idx'],
    canLoad: (path, isDirectory) => !isDirectory && IDX_NAME.test(basename(path)),
    load: loadIdx,
    records: readIdxRecords,
    chunks: chunkIdx,
  };
}

/** The labels file that belongs beside `imagesFile`, by MNIST's naming; undefined when its name has no `images`. */
export function labelsFileFor(imagesFile: string): string | undefined {
  const name = basename(imagesFile);
  if (!/images/i.test(name)) return undefined;
  return join(dirname(imagesFile), name.replace(/images/i, 'labels').replace(/idx3/i, 'idx1'));
}

async function loadIdx(file: string, options: LoadOptions = {}): Promise<Dataset> {
  const { records, context, labelsFile } = await idxSource(file, options);
  const [data, sha256] = await Promise.all([collectRecords(records, context), sha256OfFiles(labelsFile ? [file, labelsFile] : [file])]);
  return { ...data, source: { ...data.source, sha256 } };
}

async function* chunkIdx(file: string, options: ChunkOptions = {}): AsyncGenerator<Dataset> {
  const { records, context } = await idxSource(file, options);
  yield* chunkRecords(records, context, options.chunkSize);
}

async function* readIdxRecords(file: string, options: LoadOptions = {}): AsyncGenerator<DataRecord> {
  yield* (await idxSource(file, options)).records;
}

/** The images' records with their labels (read first: a small file), and how to collect them. */
async function idxSource(
  file: string,
  options: LoadOptions,
): Promise<{ records: AsyncIterable<DataRecord>; context: CollectContext; labelsFile: string | undefined }> {
  const labelsFile = await findLabels(file, options.labelled ?? true);
  const labels = labelsFile ? { file: labelsFile, values: await readLabels(labelsFile) } : undefined;
  const context: CollectContext = { file, format: 'idx', options, unit: 'item', ...(labelsFile ? { labelsFile } : {}) };
  return { records: idxRecords(file, labels), context, labelsFile };
}

async function findLabels(file: string, labelled: boolean | 'optional'): Promise<string | undefined> {
  if (labelled === false) return undefined;
  const expected = labelsFileFor(file);
  if (expected && (await exists(expected))) return expected;
  if (labelled === 'optional') return undefined;
  if (!expected)
    throw new DataError(
      file,
      'cannot tell where the labels are: name the images file like train-images-idx3-ubyte and put train-labels-idx1-ubyte beside it',
    );
  if (!(await exists(file))) throw new DataError(file, 'no such file or directory');
  throw new DataError(file, `no labels file: expected ${expected} beside it`);
}

async function* idxRecords(file: string, labels: { file: string; values: number[] } | undefined): AsyncGenerator<DataRecord> {
  let shape: number[] = [];
  const checkHeader = (header: IdxHeader): void => {
    shape = itemShape(file, header);
    const count = header.dims[0]!;
    if (labels && labels.values.length !== count) {
      throw new DataError(labels.file, `${labels.values.length} labels for the ${count} images in ${file}`);
    }
  };
  let line = 0;
  for await (const features of readIdx(file, checkHeader)) {
    const label = labels?.values[line];
    line++;
    yield { features, line, shape, ...(label !== undefined ? { label } : {}) };
  }
}

function itemShape(file: string, header: IdxHeader): number[] {
  const [, ...shape] = header.dims;
  if (shape.length === 0) throw new DataError(file, 'a 1-dimensional IDX file holds labels, not samples; give the images file');
  return shape.length === 2 ? [...shape, 1] : shape;
}

async function readLabels(file: string): Promise<number[]> {
  const values: number[] = [];
  const checkHeader = (header: IdxHeader): void => {
    if (header.dims.length !== 1)
      throw new DataError(file, `expected a 1-dimensional labels file, found dimensions ${formatShape(header.dims)}`);
  };
  for await (const item of readIdx(file, checkHeader)) values.push(item[0]!);
  return values;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
