import { extname } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DataError } from '@headstart/core';

/** An image decoded to 8-bit RGB (alpha dropped). */
export interface DecodedImage {
  width: number;
  height: number;
  /** `height × width × 3` values, row-major. */
  rgb: Uint8Array;
  /** Whether every pixel has red = green = blue (so one channel holds it all). */
  gray: boolean;
}

/**
 * Largest image decoded, in pixels (4096 × 4096). Checked against the size in the file's header
 * before decoding: a corrupt 100-byte PNG can claim 20000 × 20000 pixels, and the decoders
 * allocate for the claim (gigabytes) before finding the data missing.
 */
export const MAX_IMAGE_PIXELS = 4096 * 4096;

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
  const claimed = png ? pngSize(bytes) : jpegSize(bytes);
  if (claimed && claimed.width * claimed.height > MAX_IMAGE_PIXELS) {
    throw new DataError(
      file,
      `is ${claimed.width}×${claimed.height} pixels by its header; images over ${MAX_IMAGE_PIXELS} pixels (4096×4096) are not read`,
    );
  }
  let rgba: { width: number; height: number; data: Uint8Array };
  try {
    // jpeg-js's own limit too, in case the header scan missed the size (MP: million pixels).
    rgba = png
      ? PNG.sync.read(bytes)
      : jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6 });
  } catch (error) {
    throw new DataError(file, `not a readable ${png ? 'PNG' : 'JPEG'} image (${(error as Error).message})`);
  }
  return toRgb(rgba);
}

/** Width and height from a PNG's IHDR chunk (right after the 8-byte signature), if the file has one. */
function pngSize(bytes: Buffer): { width: number; height: number } | undefined {
  if (bytes.length < 24 || bytes.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Width and height from a JPEG's first start-of-frame segment, if the markers before it are intact. */
function jpegSize(bytes: Buffer): { width: number; height: number } | undefined {
  let at = 2; // after SOI
  while (at + 9 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1]!;
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7) };
    }
    if (marker === 0xda) return undefined; // image data starts: no frame header before it
    at += 2 + bytes.readUInt16BE(at + 2);
  }
  return undefined;
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
