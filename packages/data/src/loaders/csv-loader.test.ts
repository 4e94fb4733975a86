import { describe, expect, it } from 'vitest';
import { DIGITS_CSV, fixture, useTempDir } from '../__fixtures__/temp-dir.js';
import { csvLoader } from './csv-loader.js';
import type { DataRecord } from '@headstart/core';

const csv = csvLoader();
const temp = useTempDir();

describe('csv loader', () => {
  it('loads the digits: 1797 samples of 64 features, labels 0..9', async () => {
    const digits = await csv.load(DIGITS_CSV);
    expect(digits.size).toBe(1797);
    expect(digits.sampleShape).toEqual([64]);
    expect(digits.features).toHaveLength(1797 * 64);
    expect(digits.labelMap).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(digits.featureNames?.[63]).toBe('p63');
    expect(Array.from(digits.features.subarray(0, 4))).toEqual([0, 0, 5, 13]);
    expect(Array.from(digits.labels!.subarray(0, 3))).toEqual([0, 1, 2]);
    expect(digits.source).toEqual({ file: DIGITS_CSV, format: 'csv', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('reshapes samples with the sampleShape option', async () => {
    const digits = await csv.load(DIGITS_CSV, { sampleShape: [8, 8, 1] });
    expect(digits.sampleShape).toEqual([8, 8, 1]);
    await expect(csv.load(DIGITS_CSV, { sampleShape: [8, 8, 2] })).rejects.toThrow(
      `${DIGITS_CSV}: sample shape [8,8,2] holds 128 values, but each sample has 64`,
    );
  });

  it('stops when its signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stopped'));
    await expect(csv.load(DIGITS_CSV, { signal: controller.signal })).rejects.toThrow('stopped');
  });

  it('maps string labels in sorted order', async () => {
    const animals = await csv.load(fixture('animals.csv'));
    expect(animals.labelMap).toEqual(['cat', 'dog']);
    expect(Array.from(animals.labels!)).toEqual([0, 1, 0]);
    expect(animals.featureNames).toEqual(['p0', 'p1']);
  });

  it('reads the label column named by options.label, anywhere in the header', async () => {
    const file = await temp.write('target.csv', 'target,a,b\n2,1,2\n1,3,4\n');
    const data = await csv.load(file, { label: 'target' });
    expect(data.labelMap).toEqual([1, 2]);
    expect(data.featureNames).toEqual(['a', 'b']);
    expect(Array.from(data.features)).toEqual([1, 2, 3, 4]);
  });

  it('drops the label column when unlabelled, and reads it only when present if optional', async () => {
    const dropped = await csv.load(fixture('animals.csv'), { labelled: false });
    expect(dropped.labels).toBeUndefined();
    expect(dropped.sampleShape).toEqual([2]);
    const features = await temp.write('features.csv', 'p0,p1\n1,2\n');
    const optional = await csv.load(features, { labelled: 'optional' });
    expect(optional.labels).toBeUndefined();
    expect(optional.featureNames).toEqual(['p0', 'p1']);
    expect((await csv.load(fixture('animals.csv'), { labelled: 'optional' })).labelMap).toEqual(['cat', 'dog']);
  });

  it('keeps the indices of a given label map and refuses labels outside it', async () => {
    const data = await csv.load(fixture('animals.csv'), { labelMap: ['dog', 'cat'] });
    expect(data.labelMap).toEqual(['dog', 'cat']);
    expect(Array.from(data.labels!)).toEqual([1, 0, 1]);
    await expect(csv.load(fixture('animals.csv'), { labelMap: ['cat'] })).rejects.toThrow(
      `${fixture('animals.csv')}, line 3: label "dog" is not one of the 1 known labels (cat)`,
    );
  });

  it('reads the columns of featureNames in that order, in load and records alike', async () => {
    const file = await temp.write('reordered.csv', 'b,label,a\n2,x,1\n4,y,3\n');
    const data = await csv.load(file, { featureNames: ['a', 'b'] });
    expect(data.featureNames).toEqual(['a', 'b']);
    expect(Array.from(data.features)).toEqual([1, 2, 3, 4]);
    const records: DataRecord[] = [];
    for await (const record of csv.records!(file, { featureNames: ['a', 'b'] })) records.push(record);
    expect(records.map((r) => Array.from(r.features))).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('refuses columns other than featureNames before reading a row, naming them', async () => {
    const file = await temp.write('other-columns.csv', 'a,c,label\n1,2,x\n1,oops,y\n');
    await expect(csv.load(file, { featureNames: ['a', 'b'] })).rejects.toThrow(
      `${file}: missing column b and unknown column c; the model was trained on 2 columns: a, b`,
    );
    await expect(csv.load(file, { featureNames: ['a', 'b', 'c', 'd'] })).rejects.toThrow(
      `${file}: missing columns b, d; the model was trained on 4 columns: a, b, c, d`,
    );
  });

  it('streams records with their physical line numbers', async () => {
    const file = await temp.write('lines.csv', 'a,label\r\n\r\n1,"two\r\nlines"\r\n2,b\r\n');
    const records: DataRecord[] = [];
    for await (const record of csv.records!(file)) records.push(record);
    expect(records.map((r) => [r.line, r.label, r.features[0]])).toEqual([
      [3, 'two\r\nlines', 1],
      [5, 'b', 2],
    ]);
  });

  it('reads plain decimal numbers with spaces around them, up to the largest float32', async () => {
    const file = await temp.write('decimals.csv', 'a,b,c,label\n -1.5 ,.5,1e3,0\n+2,3.,3.4028234e38,1\n');
    const data = await csv.load(file);
    expect(Array.from(data.features)).toEqual([-1.5, 0.5, 1000, 2, 3, Math.fround(3.4028234e38)]);
  });

  it('names line and column of a bad number, counting quoted line breaks and blank lines', async () => {
    const file = await temp.write('quoted.csv', 'p0,label\r\n1,"two\r\nlines"\r\n\r\nx,b\r\n');
    await expect(csv.load(file)).rejects.toThrow(`${file}, line 5, column "p0": expected a number, found "x"`);
  });

  describe('malformed files', () => {
    const cases: Array<[string, string]> = [
      ['bad-number.csv', 'line 3, column "p1": expected a number, found "x"'],
      ['ragged.csv', 'line 4: 2 cells, but the header has 3 columns'],
      ['no-label.csv', 'line 1: no "label" column for the labels; the header has p0, p1, target'],
      ['empty.csv', 'the file is empty; expected a header row'],
      ['header-only.csv', 'no data rows after the header'],
    ];
    it.each(cases)('%s', async (name, problem) => {
      const file = fixture(name);
      const separator = problem.startsWith('line') ? ', ' : ': ';
      await expect(csv.load(file)).rejects.toThrow(`${file}${separator}${problem}`);
    });

    it('an empty feature cell is refused, not read as 0', async () => {
      const file = await temp.write('hole.csv', 'a,b,label\n1,,0\n');
      await expect(csv.load(file)).rejects.toThrow(
        `${file}, line 2, column "b": the cell is empty; expected a number (missing values are not filled in)`,
      );
    });

    // Number() reads all of these; a data file means none of them.
    it.each(['0x10', '0b1', '0o7', 'Infinity', '-Infinity', '+Infinity'])('a cell of %s is not a decimal number', async (cell) => {
      const file = await temp.write('not-decimal.csv', `a,b,label\n1,2,0\n3,${cell},1\n`);
      await expect(csv.load(file)).rejects.toThrow(
        `${file}, line 3, column "b": expected a decimal number (like 16, -0.5 or 1e3), found "${cell}"`,
      );
    });

    it.each(['3.4e39', '-1e40', '1e309'])('a cell of %s is beyond float32, in load and in chunks alike', async (cell) => {
      const file = await temp.write('huge.csv', `a,b,label\n1,2,0\n3,${cell},1\n`);
      const problem = `${file}, line 3, column "b": ${cell} is beyond the float32 range (±3.4e38)`;
      await expect(csv.load(file)).rejects.toThrow(problem);
      const chunks = async (): Promise<void> => {
        for await (const chunk of csv.chunks!(file, { chunkSize: 1, labelMap: [0, 1] })) expect(chunk.size).toBe(1);
      };
      await expect(chunks()).rejects.toThrow(problem);
    });

    it('an empty label', async () => {
      const file = await temp.write('no-label-cell.csv', 'a,label\n1,0\n2, \n');
      await expect(csv.load(file)).rejects.toThrow(`${file}, line 3, column "label": the label is empty`);
    });

    it('header problems', async () => {
      const twice = await temp.write('twice.csv', 'a,a,label\n1,2,0\n');
      await expect(csv.load(twice)).rejects.toThrow(`${twice}, line 1: column "a" appears twice in the header`);
      const unnamed = await temp.write('unnamed.csv', ',a,label\n0,1,0\n');
      await expect(csv.load(unnamed)).rejects.toThrow(`${unnamed}, line 1: column 1 of the header has no name`);
    });

    it('broken quoting', async () => {
      const file = await temp.write('quote.csv', 'a,label\n1,2"x\n');
      await expect(csv.load(file)).rejects.toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid CSV: `));
    });

    it('an unclosed quote is reported on the line it opens, not where the file ends', async () => {
      const file = await temp.write('unclosed.csv', 'a,b,label\n1,2,0\n3,"4,1\n5,6,1\n7,8,0\n');
      await expect(csv.load(file)).rejects.toThrow(
        `${file}, line 3: not valid CSV: a quoted field opens here and is never closed (a " is missing)`,
      );
    });

    it('a missing file', async () => {
      const file = temp.path('missing.csv');
      await expect(csv.load(file)).rejects.toThrow(`${file}: no such file or directory`);
    });
  });
});
