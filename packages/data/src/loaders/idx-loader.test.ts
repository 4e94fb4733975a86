import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../__fixtures__/temp-dir.js';
import type { DataRecord } from '@headstart/core';
import { idxLoader, labelsFileFor } from './idx-loader.js';

const idx = idxLoader();
const temp = useTempDir();

/** An IDX file: magic (type, rank), big-endian dimensions, then the values. */
function idxBytes(type: 0x08 | 0x0d | 0x0e, dims: number[], values: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt8(type, 2);
  header.writeUInt8(dims.length, 3);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  const bytes = { 8: 1, 13: 4, 14: 8 }[type];
  const body = Buffer.alloc(values.length * bytes);
  values.forEach((v, i) =>
    type === 0x08 ? body.writeUInt8(v, i) : type === 0x0d ? body.writeFloatBE(v, 4 * i) : body.writeDoubleBE(v, 8 * i),
  );
  return Buffer.concat([header, body]);
}

const pixels = Array.from({ length: 5 * 6 }, (_, i) => i);
const labels = [3, 1, 3, 0, 1];

async function writeMnist(folder: string, options: { gzip?: boolean; labels?: number[] } = {}): Promise<string> {
  const pack = (bytes: Buffer): Buffer => (options.gzip ? gzipSync(bytes) : bytes);
  const suffix = options.gzip ? '.gz' : '';
  await temp.write(
    `${folder}/train-labels-idx1-ubyte${suffix}`,
    pack(idxBytes(0x08, [(options.labels ?? labels).length], options.labels ?? labels)),
  );
  return temp.write(`${folder}/train-images-idx3-ubyte${suffix}`, pack(idxBytes(0x08, [5, 3, 2], pixels)));
}

describe('idx loader', () => {
  it('accepts MNIST names and finds the labels beside the images', () => {
    expect(idx.canLoad('data/train-images-idx3-ubyte', false)).toBe(true);
    expect(idx.canLoad('data/t10k-images.idx3-ubyte.gz', false)).toBe(true);
    expect(idx.canLoad('data/images.idx', false)).toBe(true);
    expect(idx.canLoad('data/images.csv', false)).toBe(false);
    expect(labelsFileFor('data/train-images-idx3-ubyte.gz')).toBe('data/train-labels-idx1-ubyte.gz');
    expect(labelsFileFor('data/t10k-images.idx3-ubyte')).toBe('data/t10k-labels.idx1-ubyte');
    expect(labelsFileFor('data/images.idx')).toBe('data/labels.idx');
    expect(labelsFileFor('data/digits.idx')).toBeUndefined();
  });

  it('loads images as [rows, cols, 1] with their labels', async () => {
    const file = await writeMnist('plain');
    const data = await idx.load(file);
    expect(data.size).toBe(5);
    expect(data.sampleShape).toEqual([3, 2, 1]);
    expect(Array.from(data.features)).toEqual(pixels);
    expect(data.labelMap).toEqual([0, 1, 3]);
    expect(Array.from(data.labels!)).toEqual([2, 1, 2, 0, 1]);
    expect(data.source).toMatchObject({ file, format: 'idx', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('reads gzipped files', async () => {
    const plain = await idx.load(await writeMnist('plain'));
    const gzipped = await idx.load(await writeMnist('gzipped', { gzip: true }));
    expect(gzipped.features).toEqual(plain.features);
    expect(gzipped.labels).toEqual(plain.labels);
  });

  it('reads float32 items of any rank', async () => {
    const file = await temp.write('float/images.idx', idxBytes(0x0d, [2, 3], [0.5, -1, 2, 3.25, 4, 5]));
    const data = await idx.load(file, { labelled: false });
    expect(data.sampleShape).toEqual([3]);
    expect(Array.from(data.features)).toEqual([0.5, -1, 2, 3.25, 4, 5]);
  });

  it('without labels when unlabelled, or optional and no labels file', async () => {
    const file = await temp.write('alone/train-images-idx3-ubyte', idxBytes(0x08, [5, 3, 2], pixels));
    expect((await idx.load(file, { labelled: false })).labels).toBeUndefined();
    expect((await idx.load(file, { labelled: 'optional' })).labels).toBeUndefined();
    await expect(idx.load(file)).rejects.toThrow(
      `${file}: no labels file: expected ${temp.path('alone/train-labels-idx1-ubyte')} beside it`,
    );
  });

  it('streams records with labels', async () => {
    const records: DataRecord[] = [];
    for await (const record of idx.records!(await writeMnist('plain'))) records.push(record);
    expect(records.map((r) => [r.line, r.label, r.shape, r.features.length])).toEqual(
      labels.map((label, i) => [i + 1, label, [3, 2, 1], 6]),
    );
  });

  it('streams chunks as load reads the file, naming the labels file and item of a label outside the label map', async () => {
    const file = await writeMnist('plain');
    const chunks = [];
    for await (const chunk of idx.chunks!(file, { labelMap: [0, 1, 3], chunkSize: 2 })) chunks.push(chunk);
    expect(chunks.map((c) => [c.size, c.sampleShape, Array.from(c.labels!)])).toEqual([
      [2, [3, 2, 1], [2, 1]],
      [2, [3, 2, 1], [2, 0]],
      [1, [3, 2, 1], [1]],
    ]);
    const stream = idx.chunks!(file, { labelMap: [1, 3], chunkSize: 2 });
    await expect(
      (async () => {
        for await (const _ of stream);
      })(),
    ).rejects.toThrow(`${temp.path('plain/train-labels-idx1-ubyte')}: item 4: label 0 is not one of the 2 known labels (1, 3)`);
  });

  describe('malformed files', () => {
    it('bad magic number', async () => {
      const file = await temp.write('magic/images.idx', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1]));
      await expect(idx.load(file, { labelled: false })).rejects.toThrow(
        `${file}: bad magic number 0x89504e47: not an IDX file (MNIST images start with 0x00000803, labels with 0x00000801)`,
      );
    });

    it('truncated data', async () => {
      const file = await temp.write('short/images.idx', idxBytes(0x08, [5, 3, 2], pixels).subarray(0, 16 + 6 * 3 + 2));
      await expect(idx.load(file, { labelled: false })).rejects.toThrow(
        `${file}: truncated: the header announces 5 items of 6 bytes, but the data ends in item 4`,
      );
    });

    it('items with no values: refused at once, not read 2^32 times', async () => {
      const file = await temp.write('empty-items/images.idx', idxBytes(0x08, [0xffffffff, 0, 5], []));
      await expect(idx.load(file, { labelled: false })).rejects.toThrow(
        `${file}: the header announces 4294967295 items of shape [0,5], which hold no values`,
      );
    }, 5000);

    it('bytes after the last item', async () => {
      const file = await temp.write('long/images.idx', Buffer.concat([idxBytes(0x08, [5, 3, 2], pixels), Buffer.from([1, 2])]));
      await expect(idx.load(file, { labelled: false })).rejects.toThrow(
        `${file}: 2 bytes after the last of the 5 items the header announces`,
      );
    });

    it('labels and images of different counts', async () => {
      const file = await writeMnist('mismatch', { labels: [1, 2, 3, 4] });
      await expect(idx.load(file)).rejects.toThrow(
        `${temp.path('mismatch/train-labels-idx1-ubyte')}: 4 labels for the 5 images in ${file}`,
      );
    });

    it('a label outside a given label map names the labels file and item', async () => {
      const file = await writeMnist('known');
      await expect(idx.load(file, { labelMap: [0, 1] })).rejects.toThrow(
        `${temp.path('known/train-labels-idx1-ubyte')}: item 1: label 3 is not one of the 2 known labels (0, 1)`,
      );
    });

    it('a corrupt gzip file', async () => {
      const file = await temp.write('corrupt/images.idx.gz', gzipSync(idxBytes(0x08, [5, 3, 2], pixels)).subarray(0, 20));
      await expect(idx.load(file, { labelled: false })).rejects.toThrow(`${file}: not a valid gzip file (unexpected end of file)`);
    });

    it('a double beyond float32 names the item and the value', async () => {
      const file = await temp.write('double/images.idx', idxBytes(0x0e, [2, 3], [1, 2, 3, 4, 3.4e39, 6]));
      await expect(idx.load(file, { labelled: false })).rejects.toThrow(
        `${file}: item 2, value 2: 3.4e+39 is beyond the float32 range (±3.4e38)`,
      );
    });

    it('a float that is NaN or infinite names the item and the value', async () => {
      const nan = await temp.write('nan/images.idx', idxBytes(0x0d, [2, 2], [1, NaN, 3, 4]));
      await expect(idx.load(nan, { labelled: false })).rejects.toThrow(`${nan}: item 1, value 2: NaN is not a number`);
      const infinite = await temp.write('inf/images.idx', idxBytes(0x0d, [2, 2], [1, 2, 3, -Infinity]));
      await expect(idx.load(infinite, { labelled: false })).rejects.toThrow(
        `${infinite}: item 2, value 2: -Infinity is beyond the float32 range (±3.4e38)`,
      );
    });

    it('a labels file given as the data', async () => {
      const file = await temp.write('labels-only/labels.idx', idxBytes(0x08, [3], [1, 2, 3]));
      await expect(idx.load(file, { labelled: false })).rejects.toThrow(
        `${file}: a 1-dimensional IDX file holds labels, not samples; give the images file`,
      );
    });
  });
});
