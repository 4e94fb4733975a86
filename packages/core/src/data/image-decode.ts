import { extname } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DataError } from '../errors.js';

/** An image decoded to 8-bit RGB (alpha dropped). */
export interface DecodedImage {
  width: number;
  height: number;
  /** `height × width × 3` values, row-major. */
  rgb: Uint8Array;
  /** Whether every pixel has red = green = blue (so one channel holds it all). */
  gray: boolean;
}

/** Extensions of the images the folder loader reads. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

/** Whether a file name ends in an image extension the folder loader reads. */
export function isImageFile(name: string): boolean {
  return (IMAGE_EXTENSIONS as readonly string[]).includes(extname(name).toLowerCase());
}

/**
 * Decode a PNG (pngjs) or JPEG (jpeg-js) file's bytes, by its extension. 16-bit PNGs are scaled to
 * 8 bits; alpha is ignored. A file that does not decode is a {@link DataError} naming it.
 * @internal
 */
export function decodeImage(file: string, bytes: Buffer): DecodedImage {
  const png = extname(file).toLowerCase() === '.png';
  let rgba: { width: number; height: number; data: Uint8Array };
  try {
    rgba = png ? PNG.sync.read(bytes) : jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
  } catch (error) {
    throw new DataError(file, `not a readable ${png ? 'PNG' : 'JPEG'} image (${(error as Error).message})`);
  }
  return toRgb(rgba);
}

function toRgb({ width, height, data }: { width: number; height: number; data: Uint8Array }): DecodedImage {
  const rgb = new Uint8Array(width * height * 3);
  let gray = true;
  for (let pixel = 0; pixel < width * height; pixel++) {
    const r = data[pixel * 4]!;
    const g = data[pixel * 4 + 1]!;
    const b = data[pixel * 4 + 2]!;
    rgb[pixel * 3] = r;
    rgb[pixel * 3 + 1] = g;
    rgb[pixel * 3 + 2] = b;
    if (r !== g || g !== b) gray = false;
  }
  return { width, height, rgb, gray };
}
