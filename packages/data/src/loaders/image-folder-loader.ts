import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError, type DataRecord, type Dataset, type DatasetLoader, type LoadOptions } from '@headstart/core';
import { chunkRecords } from '../records/collect-records.js';
import { hashFolderEntry } from '../records/file-hash.js';
import { decodeImage, IMAGE_EXTENSIONS, type DecodedImage } from './image-decode.js';
import { listImages, type ImageEntry } from './image-files.js';
import { LabelMapBuilder, labelIndex } from '../transforms/label-map.js';
import { LOADER_VERSION } from './loader-version.js';
import { readError } from '../records/read-error.js';
import { chooseSampleShape, formatShape } from '../records/sample-shape.js';
import { shortList } from '../transforms/short-list.js';

/**
 * The `images` loader: a folder with one sub-folder of .png/.jpg/.jpeg images per class, the
 * label being the folder's name (numbers when every name is one). Unlabelled (`labelled: false`,
 * or `'optional'` without sub-folders), a flat folder of images works too.
 *
 * Every image must have the same size. Samples are `[height, width, channels]` with values
 * 0..255: one channel when every image is gray (red = green = blue), else three; a 3-dimensional
 * `sampleShape` option picks the channels instead. Files are read in sorted order.
 * `source.sha256` covers each image's relative path, length and bytes, in that order.
 */
export function imageFolderLoader(): DatasetLoader {
  return {
    name: 'images',
    meta: { version: LOADER_VERSION, description: 'a folder of PNG/JPEG images, one sub-folder per class' },
    extensions: [...IMAGE_EXTENSIONS],
    directories: true,
    canLoad: (_path, isDirectory) => isDirectory,
    load: loadImages,
    records: readImageRecords,
    chunks: (root, options = {}) =>
      chunkRecords(readImageRecords(root, options), { file: root, format: 'images', options, unit: 'item' }, options.chunkSize),
  };
}

/** One decoded image, in order. */
interface DecodedEntry {
  entry: ImageEntry;
  file: string;
  image: DecodedImage;
  line: number;
}

async function loadImages(root: string, options: LoadOptions = {}): Promise<Dataset> {
  const entries = await classEntries(root, options);
  const hash = createHash('sha256');
  const labels = new LabelMapBuilder(root, { ...options, unit: 'item' });
  let pixels: Uint8Array | undefined;
  let firstColour: string | undefined;
  let size = { width: 0, height: 0 };
  for await (const { entry, file, image, line } of decodedImages(root, entries, options, (e, bytes) =>
    hashFolderEntry(hash, e.path, bytes),
  )) {
    size = image;
    pixels ??= new Uint8Array(entries.length * image.rgb.length);
    pixels.set(image.rgb, (line - 1) * image.rgb.length);
    if (!image.gray) firstColour ??= file;
    if (entry.label !== undefined) labels.add(entry.label, line);
  }
  const channels = chooseChannels(options, firstColour);
  return {
    size: entries.length,
    sampleShape: chooseSampleShape(root, [size.height, size.width, channels], options.sampleShape),
    features: toFeatures(pixels!, channels),
    ...(labels.size > 0 ? labels.finish() : {}),
    source: { file: root, format: 'images', sha256: hash.digest('hex') },
  };
}

async function* readImageRecords(root: string, options: LoadOptions = {}): AsyncGenerator<DataRecord> {
  const entries = await classEntries(root, options);
  for await (const { entry, file, image, line } of decodedImages(root, entries, options)) {
    const channels = chooseChannels(options, image.gray ? undefined : file);
    const record = { features: toFeatures(image.rgb, channels), shape: [image.height, image.width, channels], line };
    yield entry.label === undefined ? record : { ...record, label: entry.label };
  }
}

/** The images to read; with a fixed label map, every class folder is checked before any decoding. */
async function classEntries(root: string, options: LoadOptions): Promise<ImageEntry[]> {
  const entries = await listImages(root, options.labelled ?? true);
  const known = options.labelMap;
  if (!known || options.extendLabels) return entries;
  const unknown = entries.find((e) => e.label !== undefined && labelIndex(known, e.label) < 0);
  if (unknown?.label !== undefined) {
    throw new DataError(
      join(root, unknown.label),
      `class "${unknown.label}" is not one of the ${known.length} known labels (${shortList(known)})`,
    );
  }
  return entries;
}

async function* decodedImages(
  root: string,
  entries: ImageEntry[],
  options: LoadOptions,
  onBytes?: (entry: ImageEntry, bytes: Buffer) => void,
): AsyncGenerator<DecodedEntry> {
  let first: { file: string; image: DecodedImage } | undefined;
  for (const [index, entry] of entries.entries()) {
    options.signal?.throwIfAborted();
    const file = join(root, entry.path);
    const bytes = await readFile(file).catch((error: unknown) => Promise.reject(readError(file, error)));
    onBytes?.(entry, bytes);
    const image = decodeImage(file, bytes);
    first ??= { file, image };
    if (image.width !== first.image.width || image.height !== first.image.height) {
      throw new DataError(
        file,
        `is ${image.width}×${image.height} but ${first.file} is ${first.image.width}×${first.image.height}; every image must have the same size`,
      );
    }
    yield { entry, file, image, line: index + 1 };
  }
}

/** 1 when every image is gray, else 3, unless a 3-dimensional `sampleShape` asks for a number. */
function chooseChannels(options: LoadOptions, firstColour: string | undefined): 1 | 3 {
  const requested = options.sampleShape?.length === 3 ? options.sampleShape[2] : undefined;
  if (requested === 3) return 3;
  if (requested === 1 && firstColour !== undefined) {
    throw new DataError(firstColour, `a colour image, but the sample shape ${formatShape(options.sampleShape!)} asks for 1 channel`);
  }
  return firstColour === undefined ? 1 : 3;
}

/** RGB bytes as float features with 3 channels, or 1 (the red channel, equal to the others when gray). */
function toFeatures(rgb: Uint8Array, channels: 1 | 3): Float32Array {
  if (channels === 3) return new Float32Array(rgb);
  const features = new Float32Array(rgb.length / 3);
  for (let i = 0; i < features.length; i++) features[i] = rgb[i * 3]!;
  return features;
}
