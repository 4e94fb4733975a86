import { describe, expect, it } from 'vitest';
import { fixture, useTempDir } from '../__fixtures__/temp-dir.js';
import type { DataRecord } from '@headstart/core';
import { jsonlLoader } from './jsonl-loader.js';

const jsonl = jsonlLoader();
const temp = useTempDir();

describe('jsonl loader', () => {
  it('reads features and numeric labels, skipping blank lines', async () => {
    const file = await temp.write('flat.jsonl', '{"features": [1, 2], "label": 1}\n\n{"features": [3, 4.5], "label": 0}\n');
    const data = await jsonl.load(file);
    expect(data.size).toBe(2);
    expect(data.sampleShape).toEqual([2]);
    expect(Array.from(data.features)).toEqual([1, 2, 3, 4.5]);
    expect(data.labelMap).toEqual([0, 1]);
    expect(Array.from(data.labels!)).toEqual([1, 0]);
    expect(data.source).toMatchObject({ file, format: 'jsonl', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('flattens nested features row-major (x / y field names) and takes their shape', async () => {
    const data = await jsonl.load(fixture('nested.jsonl'));
    expect(data.sampleShape).toEqual([2, 2]);
    expect(Array.from(data.features)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(data.labelMap).toEqual(['cat', 'dog']);
    expect((await jsonl.load(fixture('nested.jsonl'), { sampleShape: [4] })).sampleShape).toEqual([4]);
  });

  it('reads the label field named by options.label, and none when unlabelled', async () => {
    const file = await temp.write('named.jsonl', '{"features": [1], "digit": "7", "label": "ignored"}\n{"features": [2], "digit": 3}\n');
    expect((await jsonl.load(file, { label: 'digit' })).labelMap).toEqual([3, 7]);
    expect((await jsonl.load(file, { labelled: false })).labels).toBeUndefined();
  });

  it('with labelled: optional, the first record decides', async () => {
    const file = await temp.write('unlabelled.jsonl', '{"features": [1]}\n{"features": [2], "label": 1}\n');
    expect((await jsonl.load(file, { labelled: 'optional' })).labels).toBeUndefined();
  });

  it('streams records with their line and shape', async () => {
    const records: DataRecord[] = [];
    for await (const record of jsonl.records!(fixture('nested.jsonl'))) records.push(record);
    expect(records.map((r) => [r.line, r.label, r.shape])).toEqual([
      [1, 'cat', [2, 2]],
      [3, 'dog', [2, 2]],
    ]);
  });

  describe('malformed files', () => {
    it('a feature that is not a number', async () => {
      const file = fixture('bad-number.jsonl');
      await expect(jsonl.load(file)).rejects.toThrow(`${file}, line 3: expected a number at features[1], found "abc"`);
    });

    it('a feature beyond float32, also a literal beyond float64 that JSON reads as Infinity', async () => {
      const file = await temp.write('huge.jsonl', '{"features": [1, 2], "label": 0}\n{"features": [[1], [-3.4e39]], "label": 1}\n');
      await expect(jsonl.load(file)).rejects.toThrow(`${file}, line 2: features[1][0]: -3.4e+39 is beyond the float32 range (±3.4e38)`);
      const past = await temp.write('past-float64.jsonl', '{"x": [1e400], "label": 1}\n');
      await expect(jsonl.load(past)).rejects.toThrow(`${past}, line 1: x[0]: the number is beyond the float32 range (±3.4e38)`);
    });

    it('samples of different lengths', async () => {
      const file = fixture('uneven.jsonl');
      await expect(jsonl.load(file)).rejects.toThrow(`${file}, line 2: sample shape [3] differs from [2] on line 1`);
    });

    it('ragged nested features', async () => {
      const file = await temp.write('ragged.jsonl', '{"x": [[1, 2], [3]], "label": 0}\n');
      await expect(jsonl.load(file)).rejects.toThrow(`${file}, line 1: x[1] has 1 item, expected 2 like x[0]`);
    });

    it('bad JSON', async () => {
      const file = await temp.write('broken.jsonl', '{"features": [1], "label": 0}\n{"features": [1\n');
      await expect(jsonl.load(file)).rejects.toThrow(`${file}, line 2: not valid JSON (`);
    });

    it('missing fields and wrong types', async () => {
      const cases: Array<[string, string]> = [
        ['{"label": 1}', 'line 1: no "features" (or "x") field'],
        ['{"features": [1]}', 'line 1: no "label" (or "y") field for the label'],
        ['{"features": [1], "label": true}', 'line 1: "label" must be a string or a number, found true'],
        ['{"features": 5, "label": 1}', 'line 1: "features" must be a list of numbers, found 5'],
        ['{"features": [], "label": 1}', 'line 1: "features" has an empty list'],
        ['[1, 2]', 'line 1: expected a JSON object, found [1,2]'],
      ];
      for (const [line, problem] of cases) {
        const file = await temp.write('case.jsonl', `${line}\n`);
        await expect(jsonl.load(file)).rejects.toThrow(`${file}, ${problem}`);
      }
    });

    it('hostile nesting and sizes: a one-line error, no stack overflow, no allocation from the first row alone', async () => {
      const deep = (depth: number, inner: string): string => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
      const firstRowLength = 100_000;
      const cases: Array<[string, string]> = [
        [`{"features": ${deep(200_000, '1')}, "label": 1}`, 'line 1: "features" is nested 200000 lists deep; at most 16 are read'],
        [`{"features": [1], "label": ${deep(200_000, '1')}}`, 'line 1: "label" must be a string or a number, found a deeply nested list'],
        [`{"features": ${deep(17, '1')}, "label": 1}`, 'line 1: "features" is nested 17 lists deep; at most 16 are read'],
        // The first row promises 10^10 values; the second has one.
        [
          `{"features": [[${Array(firstRowLength).fill(1).join(',')}], ${Array(firstRowLength - 1)
            .fill('[1]')
            .join(',')}], "label": 1}`,
          `line 1: features[1] has 1 item, expected ${firstRowLength} like features[0]`,
        ],
      ];
      for (const [line, problem] of cases) {
        const file = await temp.write('hostile.jsonl', `${line}\n`);
        await expect(jsonl.load(file)).rejects.toThrow(`${file}, ${problem}`);
      }
      const file = await temp.write('deep-ok.jsonl', `{"features": ${deep(16, '1')}, "label": 1}\n`);
      expect((await jsonl.load(file)).sampleShape).toEqual(Array(16).fill(1));
    });

    it('no records at all', async () => {
      const file = await temp.write('blank.jsonl', '\n\n');
      await expect(jsonl.load(file)).rejects.toThrow(`${file}: no records; expected one JSON object a line`);
    });

    it('a missing file', async () => {
      const file = temp.path('missing.jsonl');
      await expect(jsonl.load(file)).rejects.toThrow(`${file}: no such file or directory`);
    });
  });
});
