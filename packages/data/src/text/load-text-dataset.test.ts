import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { fixture, useTempDir } from '../__fixtures__/temp-dir.js';
import { loadTextDataset, streamTextChunks, type TextDatasetOptions, type TokenCacheEvent } from './load-text-dataset.js';
import { readTokenizer } from './text-tokenizer.js';

const temp = useTempDir();
const tokenizer = () => readTokenizer(fixture('bert-tiny.tokenizer.json'));

const REVIEWS_CSV = 'id,text,label\n1,"The cat sat on the mat.",pos\n2,the dog is not very good,neg\n3,"Hello, world!",pos\n';
const REVIEWS_JSONL = [
  '{"review": "The cat sat on the mat.", "label": "pos"}',
  '{"review": "the dog is not very good", "label": "neg"}',
  '{"review": "Hello, world!", "label": "pos"}',
].join('\n');

// bert-tiny ids; the first review is cut to 8 tokens, the third padded with [PAD] 0.
const IDS = [...[2, 5, 7, 9, 10, 5, 11, 3], ...[2, 5, 8, 12, 17, 18, 13, 3], ...[2, 19, 30, 20, 31, 3, 0, 0]];
const MASK = [...[1, 1, 1, 1, 1, 1, 1, 1], ...[1, 1, 1, 1, 1, 1, 1, 1], ...[1, 1, 1, 1, 1, 1, 0, 0]];

describe('loading text as token sequences', () => {
  it('tokenises a CSV text column into padded ids, a mask and labels', async () => {
    const file = await temp.write('reviews.csv', REVIEWS_CSV);
    const data = await loadTextDataset(file, { tokenizer: await tokenizer(), maxLength: 8 });
    expect([...data.inputIds]).toEqual(IDS);
    expect([...data.attentionMask]).toEqual(MASK);
    expect([...data.labels!]).toEqual([1, 0, 1]);
    expect(data).toMatchObject({ kind: 'tokens', size: 3, sequenceLength: 8, labelMap: ['neg', 'pos'] });
    expect(data.source).toMatchObject({ file, format: 'csv-text' });
    expect(data.tokenizer).toMatchObject({ kind: 'tokenizer', maxLength: 8, padId: 0, vocabSize: 34, textColumn: 'text' });
  });

  it('reads a named JSONL field the same way, and a checkpoint’s label map', async () => {
    const file = await temp.write('reviews.jsonl', REVIEWS_JSONL);
    const data = await loadTextDataset(file, { tokenizer: await tokenizer(), maxLength: 8, text: 'review', labelMap: ['pos', 'neg'] });
    expect([...data.inputIds]).toEqual(IDS);
    expect([...data.attentionMask]).toEqual(MASK);
    expect([...data.labels!]).toEqual([0, 1, 0]);
    expect(data.source.format).toBe('jsonl-text');
    expect(data.tokenizer.textColumn).toBe('review');
  });

  it('reads unlabelled text', async () => {
    const file = await temp.write('unlabelled.csv', 'text\nhello world\nthe cat\n');
    const data = await loadTextDataset(file, { tokenizer: await tokenizer(), maxLength: 4, labelled: false });
    expect([...data.inputIds]).toEqual([2, 19, 20, 3, 2, 5, 7, 3]);
    expect(data.labels).toBeUndefined();
  });

  it('names the missing text column or field in one line', async () => {
    const csv = await temp.write('body.csv', 'id,body,label\n1,hello,pos\n');
    await expect(loadTextDataset(csv, { tokenizer: await tokenizer(), maxLength: 8 })).rejects.toMatchObject({
      name: 'DataError',
      message: `${csv}, line 1: no "text" column for the text; the header has id, body, label`,
    });
    const jsonl = await temp.write('body.jsonl', '{"text": "hello", "label": 1}\n{"body": "hello", "label": 1}\n');
    await expect(loadTextDataset(jsonl, { tokenizer: await tokenizer(), maxLength: 8 })).rejects.toMatchObject({
      name: 'DataError',
      message: `${jsonl}, line 2: no "text" field for the text`,
    });
    const numeric = await temp.write('numeric.jsonl', '{"text": 7, "label": 1}\n');
    await expect(loadTextDataset(numeric, { tokenizer: await tokenizer(), maxLength: 8 })).rejects.toMatchObject({
      name: 'DataError',
      message: `${numeric}, line 1: "text" must be a string, found 7`,
    });
  });

  it('names a missing file, and a file that is neither CSV nor JSONL', async () => {
    const absent = temp.path('absent.csv');
    await expect(loadTextDataset(absent, { tokenizer: await tokenizer(), maxLength: 8 })).rejects.toMatchObject({
      name: 'DataError',
      message: `${absent}: no such file or directory`,
    });
    const text = await temp.write('notes.txt', 'hello\n');
    await expect(loadTextDataset(text, { tokenizer: await tokenizer(), maxLength: 8 })).rejects.toMatchObject({
      name: 'DataError',
      message: `${text}: text is read from .csv or .jsonl (.ndjson) files; name the format for another ending`,
    });
  });

  it('streams a file of more rows than its first buffer holds', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => `${i % 2 ? 'the cat sat' : 'hello world'},${i % 3}`);
    const file = await temp.write('many.csv', `text,label\n${rows.join('\n')}\n`);
    const data = await loadTextDataset(file, { tokenizer: await tokenizer(), maxLength: 6 });
    expect(data.size).toBe(2500);
    expect([...data.inputIds.subarray(2499 * 6)]).toEqual([2, 5, 7, 9, 3, 0]);
    expect([...data.labels!.subarray(2497)]).toEqual([1, 2, 0]);
  });
});

describe('the token cache', () => {
  it('tokenises once, then reads the cache, keyed by the file, the tokenizer and the length', async () => {
    const file = await temp.write('cached/reviews.csv', REVIEWS_CSV);
    const cacheDir = temp.path('cache');
    const events: boolean[] = [];
    const options = async (more: Partial<TextDatasetOptions> = {}): Promise<TextDatasetOptions> => ({
      tokenizer: await tokenizer(),
      maxLength: 8,
      cacheDir,
      onCache: ({ hit }) => events.push(hit),
      ...more,
    });
    const first = await loadTextDataset(file, await options());
    const [entry] = await readdir(cacheDir);
    const written = (await stat(`${cacheDir}/${entry}`)).mtimeMs;
    const second = await loadTextDataset(file, await options());
    expect(second).toEqual(first);
    expect((await stat(`${cacheDir}/${entry}`)).mtimeMs).toBe(written);
    await loadTextDataset(file, await options({ maxLength: 6 }));
    await writeFile(file, REVIEWS_CSV.replace('Hello, world!', 'Hello!'));
    const edited = await loadTextDataset(file, await options());
    expect([...edited.inputIds.subarray(16)]).toEqual([2, 19, 31, 3, 0, 0, 0, 0]);
    expect(events).toEqual([false, true, false, false]);
    expect(await readdir(cacheDir)).toHaveLength(3);
  });

  it('tokenises again over a cache entry that does not read back whole', async () => {
    const file = await temp.write('cut/reviews.csv', REVIEWS_CSV);
    const cacheDir = temp.path('cut-cache');
    const events: boolean[] = [];
    const options = { tokenizer: await tokenizer(), maxLength: 8, cacheDir, onCache: ({ hit }: { hit: boolean }) => events.push(hit) };
    const first = await loadTextDataset(file, options);
    const [entry] = await readdir(cacheDir);
    const bytes = await readFile(`${cacheDir}/${entry}`);
    await writeFile(`${cacheDir}/${entry}`, bytes.subarray(0, bytes.length - 4));
    expect(await loadTextDataset(file, options)).toEqual(first);
    await writeFile(`${cacheDir}/${entry}`, Buffer.from([1, 0, 0, 0, 123]));
    expect(await loadTextDataset(file, options)).toEqual(first);
    expect(await loadTextDataset(file, options)).toEqual(first);
    expect(events).toEqual([false, false, false, true]);
  });

  it('never trusts an entry of the right size whose bytes were damaged: it is tokenised again and replaced', async () => {
    const file = await temp.write('flipped/reviews.csv', REVIEWS_CSV);
    const cacheDir = temp.path('flipped-cache');
    const events: boolean[] = [];
    const options = { tokenizer: await tokenizer(), maxLength: 8, cacheDir, onCache: ({ hit }: { hit: boolean }) => events.push(hit) };
    const first = await loadTextDataset(file, options);
    const [entry] = await readdir(cacheDir);
    const whole = await readFile(`${cacheDir}/${entry}`);
    const damaged = Buffer.from(whole);
    // The first id of the last row: 2 ([CLS]) becomes 3 ([SEP]); size and header unchanged.
    damaged[damaged.length - 4 * (3 + 24 + 8)]! ^= 1;
    await writeFile(`${cacheDir}/${entry}`, damaged);
    expect(await loadTextDataset(file, options)).toEqual(first);
    expect(await readFile(`${cacheDir}/${entry}`)).toEqual(whole);
    expect(events).toEqual([false, false]);
    // Written aside and renamed: nothing but the entries is left in the folder.
    expect(await readdir(cacheDir)).toEqual([entry]);
  });

  it('tokenises all the same when the cache cannot be written, and says why', async () => {
    const file = await temp.write('unwritable/reviews.csv', REVIEWS_CSV);
    const blocker = await temp.write('unwritable/not-a-folder', 'a file where the cache folder would go\n');
    const events: TokenCacheEvent[] = [];
    const data = await loadTextDataset(file, {
      tokenizer: await tokenizer(),
      maxLength: 8,
      cacheDir: `${blocker}/tokens`,
      onCache: (event) => events.push(event),
    });
    expect([...data.inputIds]).toEqual(IDS);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ hit: false, source: file });
    expect(events[0]!.problem).toMatch(/^.*not-a-folder\/tokens\/[0-9a-f]{64}\.tokens: cannot create its directory/);
  });
});

describe('streaming text in chunks', () => {
  it('gives the rows of a whole load, chunk by chunk, indexed into a fixed label map', async () => {
    const file = await temp.write('chunks/reviews.csv', REVIEWS_CSV);
    const options = { tokenizer: await tokenizer(), maxLength: 8, labelMap: ['neg', 'pos'] };
    const chunks = [];
    for await (const chunk of streamTextChunks(file, { ...options, chunkSize: 2 })) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.size)).toEqual([2, 1]);
    expect(chunks.flatMap((chunk) => [...chunk.inputIds])).toEqual(IDS);
    expect(chunks.flatMap((chunk) => [...chunk.attentionMask])).toEqual(MASK);
    expect(chunks.flatMap((chunk) => [...chunk.labels!])).toEqual([1, 0, 1]);
  });

  it('refuses labelled chunks without a fixed label map', async () => {
    const file = await temp.write('chunks/unfixed.csv', REVIEWS_CSV);
    const chunks = streamTextChunks(file, { tokenizer: await tokenizer(), maxLength: 8 });
    await expect(chunks.next()).rejects.toThrow('streaming labelled text in chunks needs a fixed labelMap (options.labelMap)');
  });
});
