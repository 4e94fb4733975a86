import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { getRegistry, registerLoader, Registry, type DataRecord, type DatasetLoader } from '@headstart/core';
import { DIGITS_CSV, fixture, useTempDir } from './__fixtures__/temp-dir.js';
import { loadDataset, streamDataset } from './load-dataset.js';
import { builtinLoaders, registerLoaders } from './register-loaders.js';

const temp = useTempDir();

describe('registerLoaders', () => {
  it('is what puts the loaders in the registry: loadDataset registers none by itself', async () => {
    // First test of the file: nothing has registered a loader in this process yet.
    expect(getRegistry().list('loader')).toEqual([]);
    await expect(loadDataset(DIGITS_CSV)).rejects.toThrow(
      `${DIGITS_CSV}: no data loader is registered; call registerLoaders() of @headstart/data first`,
    );
    expect(getRegistry().list('loader')).toEqual([]);
  });

  it('registers the loaders once, under @headstart/data at priority 0', () => {
    registerLoaders();
    registerLoaders();
    const entries = getRegistry()
      .list('loader')
      .filter((e) => e.source === '@headstart/data');
    expect(entries.map((e) => [e.name, e.priority, e.status]).sort()).toEqual([
      ['csv', 0, 'active'],
      ['idx', 0, 'active'],
      ['images', 0, 'active'],
      ['jsonl', 0, 'active'],
    ]);
    expect(builtinLoaders().map((l) => l.name)).toEqual(['csv', 'jsonl', 'idx', 'images']);
  });

  it('leaves a name to a loader registered before', () => {
    const registry = new Registry();
    registry.register('loader', 'csv', () => builtinLoaders()[0]!, { source: 'my-plugin' });
    registerLoaders(registry);
    expect(
      registry
        .list('loader')
        .filter((e) => e.name === 'csv')
        .map((e) => e.source),
    ).toEqual(['my-plugin']);
  });
});

describe('loadDataset', () => {
  it('loads the digits through the registry', async () => {
    const digits = await loadDataset(DIGITS_CSV, { sampleShape: [8, 8, 1] });
    expect(digits.size).toBe(1797);
    expect(digits.sampleShape).toEqual([8, 8, 1]);
    expect(digits.labelMap).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(digits.source.format).toBe('csv');
  });

  it('chooses by the path: a folder goes to the image loader', async () => {
    const image = new PNG({ width: 1, height: 1 });
    await temp.write('pictures/a/1.png', PNG.sync.write(image));
    expect((await loadDataset(temp.path('pictures'))).source.format).toBe('images');
    expect((await loadDataset(fixture('nested.jsonl'))).source.format).toBe('jsonl');
  });

  it('uses the loader options.format names', async () => {
    const file = await temp.write('table.txt', 'a,label\n1,x\n');
    expect((await loadDataset(file, { format: 'csv' })).labelMap).toEqual(['x']);
  });

  it('prefers a higher-priority plugin loader that accepts the path', async () => {
    const plugin: DatasetLoader = {
      name: 'test-tsv',
      meta: { version: '1.0.0', description: 'test' },
      extensions: ['.tsv'],
      canLoad: (path) => path.endsWith('.tsv'),
      load: async (file) => ({ size: 0, sampleShape: [1], features: new Float32Array(), source: { file, format: 'test-tsv' } }),
    };
    registerLoader('test-tsv', () => plugin, { priority: 1, source: 'test' });
    const file = await temp.write('table.tsv', 'a\tb\n');
    expect((await loadDataset(file)).source.format).toBe('test-tsv');
  });

  it('says when the path does not exist', async () => {
    const missing = temp.path('nowhere.csv');
    await expect(loadDataset(missing)).rejects.toThrow(`${missing}: no such file or directory`);
  });

  it('lists the loaders when none reads the path', async () => {
    const file = await temp.write('notes.xyz', 'hello');
    await expect(loadDataset(file)).rejects.toThrow(
      `${file}: no data loader reads this file; the loaders are: csv (.csv); idx (-idx3-ubyte, .idx3-ubyte, .idx); images (a folder of .png, .jpg, .jpeg); jsonl (.jsonl, .ndjson); test-tsv (.tsv)`,
    );
  });
});

describe('streamDataset', () => {
  it('streams the records of the chosen loader', async () => {
    const records: DataRecord[] = [];
    for await (const record of streamDataset(DIGITS_CSV)) records.push(record);
    expect(records).toHaveLength(1797);
    expect(records[0]).toMatchObject({ line: 2, label: '0' });
  });

  it('replays a loader that cannot stream', async () => {
    const file = await temp.write('stream.tsv', 'x');
    const records: DataRecord[] = [];
    for await (const record of streamDataset(file)) records.push(record);
    expect(records).toEqual([]);
  });
});
