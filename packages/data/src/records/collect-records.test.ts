import { describe, expect, it } from 'vitest';
import { chunkRecords, sliceChunks } from './collect-records.js';
import { DIGITS_CSV, useTempDir } from '../__fixtures__/temp-dir.js';
import type { DataRecord, Dataset } from '@headstart/core';
import { loadDataset, streamChunks } from '../load-dataset.js';
import { registerLoaders } from '../register-loaders.js';

registerLoaders();

const temp = useTempDir();

async function collect<T>(items: AsyncIterable<T> | Iterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function* records(...items: DataRecord[]): AsyncGenerator<DataRecord> {
  yield* items;
}

const record = (line: number, features: number[], label?: string | number): DataRecord => ({
  features: Float32Array.from(features),
  line,
  ...(label !== undefined ? { label } : {}),
});

describe('streamChunks', () => {
  it('streams the digits in chunks that together are the loaded dataset', async () => {
    const whole = await loadDataset(DIGITS_CSV, { sampleShape: [8, 8, 1] });
    const chunks = await collect(streamChunks(DIGITS_CSV, { labelMap: whole.labelMap!, sampleShape: [8, 8, 1], chunkSize: 1000 }));
    expect(chunks.map((c) => c.size)).toEqual([1000, 797]);
    for (const chunk of chunks) {
      expect(chunk.sampleShape).toEqual([8, 8, 1]);
      expect(chunk.labelMap).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(chunk.featureNames).toEqual(whole.featureNames);
      expect(chunk.source).toEqual({ file: DIGITS_CSV, format: 'csv' });
    }
    expect(Float32Array.from(chunks.flatMap((c) => Array.from(c.features)))).toEqual(whole.features);
    expect(Int32Array.from(chunks.flatMap((c) => Array.from(c.labels!)))).toEqual(whole.labels);
  });

  it('maps numeric-looking labels to numeric labels of the label map, and names the line of an unseen one in a later chunk', async () => {
    const file = await temp.write('labels.csv', 'a,label\n1,7\n2,3.0\n3, 3\n4,7\n5,x\n');
    const chunks = streamChunks(file, { labelMap: [3, 7], chunkSize: 2 });
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const chunk of chunks) seen.push(...chunk.labels!);
      })(),
    ).rejects.toThrow(`${file}, line 6: label "x" is not one of the 2 known labels (3, 7)`);
    expect(seen).toEqual([1, 0, 0, 1]);
  });

  it('puts CSV columns in the order of featureNames', async () => {
    const file = await temp.write('columns.csv', 'b,label,a\n2,0,1\n4,1,3\n');
    const [chunk] = await collect(streamChunks(file, { labelled: false, featureNames: ['a', 'b'] }));
    expect(chunk!.featureNames).toEqual(['a', 'b']);
    expect(Array.from(chunk!.features)).toEqual([1, 2, 3, 4]);
    expect(chunk!.labels).toBeUndefined();
  });
});

describe('chunkRecords', () => {
  const context = { file: 'f.jsonl', format: 'jsonl' };

  it('checks every sample against the first one across chunks', async () => {
    const stream = chunkRecords(records(record(1, [1, 2]), record(2, [3, 4]), record(3, [5])), { ...context, options: {} }, 2);
    await expect(collect(stream)).rejects.toThrow('f.jsonl, line 3: sample shape [1] differs from [2] on line 1');
  });

  it('applies the sampleShape option to every chunk, checked on the first sample', async () => {
    const chunks = await collect(
      chunkRecords(records(record(1, [1, 2]), record(2, [3, 4]), record(3, [5, 6])), { ...context, options: { sampleShape: [2, 1] } }, 2),
    );
    expect(chunks.map((c) => [c.size, c.sampleShape])).toEqual([
      [2, [2, 1]],
      [1, [2, 1]],
    ]);
    await expect(collect(chunkRecords(records(record(1, [1, 2])), { ...context, options: { sampleShape: [3] } }))).rejects.toThrow(
      'f.jsonl: sample shape [3] holds 3 values, but each sample has 2',
    );
  });

  it('refuses samples with and without labels, counted over the whole stream', async () => {
    const stream = chunkRecords(
      records(record(1, [1], 'a'), record(2, [2], 'a'), record(3, [3])),
      { ...context, options: { labelMap: ['a'] } },
      2,
    );
    await expect(collect(stream)).rejects.toThrow('f.jsonl: 1 of 3 samples have no label');
  });

  it('needs a fixed label map for labelled records, and cannot extend one', async () => {
    await expect(collect(chunkRecords(records(record(1, [1], 'a')), { ...context, options: {} }))).rejects.toThrow(TypeError);
    await expect(
      collect(chunkRecords(records(record(1, [1], 'a')), { ...context, options: { labelMap: ['a'], extendLabels: true } })),
    ).rejects.toThrow(TypeError);
  });

  it('says so when there are no samples', async () => {
    await expect(collect(chunkRecords(records(), { ...context, options: {} }))).rejects.toThrow('f.jsonl: holds no samples');
  });

  it('refuses a chunk size that is not a positive whole number', async () => {
    await expect(collect(chunkRecords(records(record(1, [1])), { ...context, options: {} }, 0))).rejects.toThrow(RangeError);
  });
});

describe('sliceChunks', () => {
  it('cuts a dataset into views of chunkSize samples', () => {
    const dataset: Dataset = {
      size: 3,
      sampleShape: [2],
      features: Float32Array.from([1, 2, 3, 4, 5, 6]),
      labels: Int32Array.from([0, 1, 0]),
      labelMap: ['a', 'b'],
      source: { file: 'x', format: 't' },
    };
    const chunks = [...sliceChunks(dataset, 2)];
    expect(chunks.map((c) => [c.size, Array.from(c.features), Array.from(c.labels!)])).toEqual([
      [2, [1, 2, 3, 4], [0, 1]],
      [1, [5, 6], [0]],
    ]);
    expect(chunks[1]!.features.buffer).toBe(dataset.features.buffer);
  });
});
