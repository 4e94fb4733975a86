import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError, type LoadOptions } from '@headstart/core';
import { isImageFile } from './image-decode.js';
import { readError } from '../records/read-error.js';

/** One image of a folder data set. */
export interface ImageEntry {
  /** Path relative to the root folder, `/`-separated. */
  path: string;
  /** The class folder's name, when labelled. */
  label?: string | undefined;
}

/**
 * The images of a folder data set, in sorted order (plain `<` on names, the same everywhere).
 * Labelled: one sub-folder per class, named after its label, and no loose images. Unlabelled: the
 * loose images and those one folder down. Hidden entries and files that are not .png/.jpg/.jpeg
 * are skipped.
 * @internal
 */
export async function listImages(root: string, labelled: LoadOptions['labelled'] = true): Promise<ImageEntry[]> {
  const { folders, images } = await listFolder(root);
  const useLabels = labelled === true || (labelled === 'optional' && folders.length > 0);
  const entries: ImageEntry[] = [];
  if (useLabels) {
    if (folders.length === 0)
      throw new DataError(root, 'no class folders: expected one sub-folder of images per class, named after the class');
    if (images[0] !== undefined)
      throw new DataError(join(root, images[0]), 'an image outside the class folders; put each image in the folder named after its class');
  } else {
    entries.push(...images.map((path) => ({ path })));
  }
  for (const folder of folders) {
    const inside = (await listFolder(join(root, folder))).images;
    if (useLabels && inside.length === 0) throw new DataError(join(root, folder), 'no .png, .jpg or .jpeg images in this class folder');
    entries.push(...inside.map((name) => ({ path: `${folder}/${name}`, ...(useLabels ? { label: folder } : {}) })));
  }
  if (entries.length === 0) throw new DataError(root, 'no .png, .jpg or .jpeg images in this folder');
  return entries;
}

async function listFolder(folder: string): Promise<{ folders: string[]; images: string[] }> {
  const entries = await readdir(folder, { withFileTypes: true }).catch((error: unknown) => Promise.reject(readError(folder, error)));
  const visible = entries.filter((entry) => !entry.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    folders: visible.filter((entry) => entry.isDirectory()).map((entry) => entry.name),
    images: visible.filter((entry) => entry.isFile() && isImageFile(entry.name)).map((entry) => entry.name),
  };
}
