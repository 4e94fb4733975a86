import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../__fixtures__/temp-dir.js';
import type { DataRecord } from '@headstart/core';
import { imageFolderLoader } from './image-folder-loader.js';

const images = imageFolderLoader();
const temp = useTempDir();

/** RGBA bytes of a width × height image whose pixel i is `colour(i)`. */
function rgba(width: number, height: number, colour: (i: number) => [number, number, number]): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([...colour(i), 255], i * 4);
  return data;
}

function png(width: number, height: number, colour: (i: number) => [number, number, number]): Buffer {
  const image = new PNG({ width, height });
  image.data = rgba(width, height, colour);
  return PNG.sync.write(image);
}

function jpg(width: number, height: number, colour: (i: number) => [number, number, number]): Buffer {
  return jpeg.encode({ width, height, data: rgba(width, height, colour) }, 100).data;
}

const gray =
  (level: number) =>
  (i: number): [number, number, number] => [level + i, level + i, level + i];

describe('image folder loader', () => {
  it('reads one class per folder, gray images as one channel, in sorted order', async () => {
    await temp.write('gray/cats/b.png', png(2, 2, gray(20)));
    await temp.write('gray/cats/a.png', png(2, 2, gray(10)));
    await temp.write('gray/dogs/c.png', png(2, 2, gray(30)));
    await temp.write('gray/dogs/notes.txt', 'not an image');
    const data = await images.load(temp.path('gray'));
    expect(data.size).toBe(3);
    expect(data.sampleShape).toEqual([2, 2, 1]);
    expect(Array.from(data.features)).toEqual([10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32, 33]);
    expect(data.labelMap).toEqual(['cats', 'dogs']);
    expect(Array.from(data.labels!)).toEqual([0, 0, 1]);
    expect(data.source).toMatchObject({ file: temp.path('gray'), format: 'images', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('reads colour JPEG and PNG as three channels, with numeric folder names as numbers', async () => {
    await temp.write(
      'colour/10/a.jpg',
      jpg(4, 2, () => [200, 40, 40]),
    );
    await temp.write('colour/9/b.png', png(4, 2, gray(0)));
    const data = await images.load(temp.path('colour'));
    expect(data.sampleShape).toEqual([2, 4, 3]);
    expect(data.labelMap).toEqual([9, 10]);
    expect(Array.from(data.labels!)).toEqual([1, 0]);
    const [r, g, b] = data.features.subarray(0, 3);
    expect(Math.abs(r! - 200)).toBeLessThan(8);
    expect(Math.abs(g! - 40)).toBeLessThan(8);
    expect(Math.abs(b! - 40)).toBeLessThan(8);
    expect(Array.from(data.features.subarray(24, 30))).toEqual([0, 0, 0, 1, 1, 1]);
  });

  it('reads a flat folder when unlabelled, and gray images as RGB when the sample shape asks', async () => {
    await temp.write('flat/a.png', png(2, 1, gray(5)));
    await temp.write('flat/b.png', png(2, 1, gray(7)));
    const data = await images.load(temp.path('flat'), { labelled: false });
    expect(data.labels).toBeUndefined();
    expect(Array.from(data.features)).toEqual([5, 6, 7, 8]);
    expect((await images.load(temp.path('flat'), { labelled: false, sampleShape: [1, 2, 3] })).features).toHaveLength(12);
    expect((await images.load(temp.path('flat'), { labelled: 'optional' })).labels).toBeUndefined();
  });

  it('hashes paths and bytes, so any change shows', async () => {
    await temp.write('hash/x/a.png', png(1, 1, gray(1)));
    const before = (await images.load(temp.path('hash'))).source.sha256;
    expect((await images.load(temp.path('hash'))).source.sha256).toBe(before);
    await temp.write('hash/x/a.png', png(1, 1, gray(2)));
    expect((await images.load(temp.path('hash'))).source.sha256).not.toBe(before);
  });

  it('streams records with their shape and label', async () => {
    const records: DataRecord[] = [];
    for await (const record of images.records!(temp.path('gray'))) records.push(record);
    expect(records.map((r) => [r.line, r.label, r.shape])).toEqual([
      [1, 'cats', [2, 2, 1]],
      [2, 'cats', [2, 2, 1]],
      [3, 'dogs', [2, 2, 1]],
    ]);
  });

  describe('malformed folders', () => {
    it('images of different sizes', async () => {
      await temp.write('sizes/a/1.png', png(2, 2, gray(0)));
      const odd = await temp.write('sizes/b/2.png', png(3, 2, gray(0)));
      await expect(images.load(temp.path('sizes'))).rejects.toThrow(
        `${odd}: is 3×2 but ${temp.path('sizes/a/1.png')} is 2×2; every image must have the same size`,
      );
    });

    it('a file that does not decode', async () => {
      const file = await temp.write('corrupt/a/1.png', 'not a png');
      await expect(images.load(temp.path('corrupt'))).rejects.toThrow(`${file}: not a readable PNG image (`);
    });

    it('an image whose header claims more pixels than are read is refused before decoding', async () => {
      // A 2×2 PNG with its IHDR saying 20000×20000 (and a correct CRC): pngjs would allocate gigabytes.
      const huge = png(2, 2, gray(0));
      huge.writeUInt32BE(20000, 16);
      huge.writeUInt32BE(20000, 20);
      huge.writeUInt32BE(crc32(huge.subarray(12, 29)), 29);
      await temp.write('huge/a/1.png', png(2, 2, gray(0)));
      const file = await temp.write('huge/b/2.png', huge);
      const started = performance.now();
      await expect(images.load(temp.path('huge'))).rejects.toThrow(
        `${file}: is 20000×20000 pixels by its header; images over 16777216 pixels (4096×4096) are not read`,
      );
      // Same for a JPEG whose start-of-frame says 10000 wide, 5000 high.
      const wide = jpg(8, 8, gray(0));
      const frame = wide.indexOf(Buffer.from([0xff, 0xc0]));
      wide.writeUInt16BE(5000, frame + 5);
      wide.writeUInt16BE(10000, frame + 7);
      const jpegFile = await temp.write('wide/b/2.jpg', wide);
      await temp.write('wide/a/1.jpg', jpg(8, 8, gray(0)));
      await expect(images.load(temp.path('wide'))).rejects.toThrow(
        `${jpegFile}: is 10000×5000 pixels by its header; images over 16777216 pixels (4096×4096) are not read`,
      );
      expect(performance.now() - started).toBeLessThan(2000);
    });

    it('no class folders when labelled', async () => {
      await expect(images.load(temp.path('flat'))).rejects.toThrow(
        `${temp.path('flat')}: no class folders: expected one sub-folder of images per class, named after the class`,
      );
    });

    it('a loose image beside the class folders', async () => {
      await temp.write('loose/a/1.png', png(1, 1, gray(0)));
      const file = await temp.write('loose/2.png', png(1, 1, gray(0)));
      await expect(images.load(temp.path('loose'))).rejects.toThrow(
        `${file}: an image outside the class folders; put each image in the folder named after its class`,
      );
    });

    it('a class the given label map does not know', async () => {
      await expect(images.load(temp.path('gray'), { labelMap: ['cats'] })).rejects.toThrow(
        `${temp.path('gray/dogs')}: class "dogs" is not one of the 1 known labels (cats)`,
      );
      expect((await images.load(temp.path('gray'), { labelMap: ['dogs', 'cats'] })).labels).toEqual(new Int32Array([1, 1, 0]));
    });

    it('colour images when one channel is asked for', async () => {
      await expect(images.load(temp.path('colour'), { sampleShape: [2, 4, 1] })).rejects.toThrow(
        `${temp.path('colour/10/a.jpg')}: a colour image, but the sample shape [2,4,1] asks for 1 channel`,
      );
    });
  });
});
