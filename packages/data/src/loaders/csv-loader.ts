import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { CsvError, parse, type Info } from 'csv-parse';
import { DataError, type ChunkOptions, type DataRecord, type Dataset, type DatasetLoader, type LoadOptions } from '@headstart/core';
import { checkSameColumns } from '../transforms/align-features.js';
import { chunkRecords, collectRecords } from '../records/collect-records.js';
import { CsvLineCounter } from './csv-line-counter.js';
import { sha256OfFile } from '../records/file-hash.js';
import { beyondFloat32, fitsFloat32, isDecimal } from '../records/float32.js';
import { LOADER_VERSION } from './loader-version.js';
import { readError } from '../records/read-error.js';
import { shortList } from '../transforms/short-list.js';

/** Which cells of a row are features and which one is the label. */
interface CsvLayout {
  names: string[];
  featureNames: string[];
  /** The cell of each feature, in `featureNames` order. */
  featureColumns: number[];
  labelColumn: number | undefined;
}

/**
 * The `csv` loader: a header row, then one sample a row. The label is the column named
 * `options.label` (default `label`), every other column a numeric feature, named in
 * `featureNames`: plain decimal notation within the float32 range, never empty. Blank lines (and rows of nothing but empty cells) are skipped; line numbers in
 * errors are physical lines, the header being line 1. With `labelled: false` the label column, if
 * any, is dropped; with `'optional'` it is read when the header has it. With the `featureNames`
 * option, the feature columns must be those, in any order, and are read in that order.
 */
export function csvLoader(): DatasetLoader {
  return {
    name: 'csv',
    meta: { version: LOADER_VERSION, description: 'CSV with a header row: numeric feature columns and a label column' },
    extensions: ['.csv'],
    canLoad: (path, isDirectory) => !isDirectory && /\.csv$/i.test(path),
    load: loadCsv,
    records: (file, options = {}) => readCsv(file, options),
    chunks: chunkCsv,
  };
}

async function loadCsv(file: string, options: LoadOptions = {}): Promise<Dataset> {
  let featureNames: string[] = [];
  const [data, sha256] = await Promise.all([
    collectRecords(
      readCsv(file, options, (names) => (featureNames = names)),
      { file, format: 'csv', options },
    ),
    sha256OfFile(file),
  ]);
  return { ...data, featureNames, source: { ...data.source, sha256 } };
}

async function* chunkCsv(file: string, options: ChunkOptions = {}): AsyncGenerator<Dataset> {
  let featureNames: string[] = [];
  const chunks = chunkRecords(
    readCsv(file, options, (names) => (featureNames = names)),
    { file, format: 'csv', options },
    options.chunkSize,
  );
  for await (const chunk of chunks) yield { ...chunk, featureNames };
}

/** The rows of a CSV file as records (labels as the text of their cell), streamed. */
async function* readCsv(file: string, options: LoadOptions, onHeader?: (featureNames: string[]) => void): AsyncGenerator<DataRecord> {
  const parser = pipeline(
    createReadStream(file),
    parse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true }),
    () => {},
  );
  const lines = new CsvLineCounter();
  let layout: CsvLayout | undefined;
  let rows = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: Info }>) {
      const line = lines.next(record, info);
      if (record.every((cell) => cell.trim() === '')) continue;
      if (!layout) {
        layout = csvLayout(file, record, line, options);
        onHeader?.(layout.featureNames);
        continue;
      }
      rows++;
      yield parseRow(file, layout, record, line);
    }
  } catch (error) {
    throw error instanceof CsvError ? csvError(file, error, lines) : readError(file, error);
  }
  if (!layout) throw new DataError(file, 'the file is empty; expected a header row');
  if (rows === 0) throw new DataError(file, 'no data rows after the header');
}

/**
 * csv-parse reports an unclosed quote at the line where the file ended; the user needs the line
 * the quoted field opened on, which is where the unfinished record starts.
 * @internal
 */
export function csvError(file: string, error: CsvError, lines: CsvLineCounter): DataError {
  if (error.code === 'CSV_QUOTE_NOT_CLOSED') {
    return new DataError(file, 'not valid CSV: a quoted field opens here and is never closed (a " is missing)', {
      line: lines.following(),
    });
  }
  return new DataError(file, `not valid CSV: ${error.message}`);
}

function csvLayout(file: string, header: string[], line: number, options: LoadOptions): CsvLayout {
  const names = header.map((name) => name.trim());
  names.forEach((name, i) => {
    if (name === '') throw new DataError(file, `column ${i + 1} of the header has no name`, { line });
    if (names.indexOf(name) !== i) throw new DataError(file, `column "${name}" appears twice in the header`, { line });
  });
  const labelName = options.label ?? 'label';
  const labelled = options.labelled ?? true;
  const found = names.indexOf(labelName);
  if (found < 0 && labelled === true) {
    throw new DataError(file, `no "${labelName}" column for the labels; the header has ${shortList(names, 12)}`, { line });
  }
  const featureColumns = names.map((_, i) => i).filter((i) => i !== found);
  if (featureColumns.length === 0) throw new DataError(file, `no feature columns besides "${labelName}"`, { line });
  const featureNames = featureColumns.map((i) => names[i]!);
  const labelColumn = labelled === false || found < 0 ? undefined : found;
  const expected = options.featureNames;
  if (!expected) return { names, featureNames, featureColumns, labelColumn };
  // The columns a model expects, looked up by name, so every row comes out in its order.
  checkSameColumns(file, featureNames, expected);
  return { names, featureNames: [...expected], featureColumns: expected.map((name) => names.indexOf(name)), labelColumn };
}

function parseRow(file: string, layout: CsvLayout, cells: string[], line: number): DataRecord {
  if (cells.length !== layout.names.length) {
    throw new DataError(file, `${cells.length} cells, but the header has ${layout.names.length} columns`, { line });
  }
  const features = new Float32Array(layout.featureColumns.length);
  for (let i = 0; i < features.length; i++) {
    const column = layout.featureColumns[i]!;
    const problem = (text: string): never => {
      throw new DataError(file, text, { line, column: layout.names[column]! });
    };
    features[i] = parseCell(cells[column]!, problem);
  }
  if (layout.labelColumn === undefined) return { features, line };
  const label = cells[layout.labelColumn]!.trim();
  if (label === '') throw new DataError(file, 'the label is empty', { line, column: layout.names[layout.labelColumn]! });
  return { features, label, line };
}

/**
 * A feature cell as a number: plain decimal notation, spaces around it allowed. An empty cell is
 * refused rather than read as 0 or NaN (missing values are not filled in), and so is anything
 * `Number()` would stretch to read (`0x10`, `0b1`, `Infinity`) or float32 cannot hold.
 */
function parseCell(cell: string, fail: (problem: string) => never): number {
  const text = cell.trim();
  if (text === '') return fail('the cell is empty; expected a number (missing values are not filled in)');
  if (!isDecimal(text)) {
    return fail(
      Number.isNaN(Number(text))
        ? `expected a number, found "${clip(cell)}"`
        : `expected a decimal number (like 16, -0.5 or 1e3), found "${clip(text)}"`,
    );
  }
  const value = Number(text);
  return fitsFloat32(value) ? value : fail(beyondFloat32(clip(text)));
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
