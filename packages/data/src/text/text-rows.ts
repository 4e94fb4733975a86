import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream';
import { CsvError, parse, type Info } from 'csv-parse';
import { DataError, type Label, type LoadOptions } from '@headstart/core';
import { csvError } from '../loaders/csv-loader.js';
import { parseObject, readLabel } from '../loaders/jsonl-loader.js';
import { CsvLineCounter } from '../loaders/csv-line-counter.js';
import { preview } from '../loaders/nested-array.js';
import { readError } from '../records/read-error.js';
import { shortList } from '../transforms/short-list.js';

/** One text of a file, with its label when labelled. */
export interface TextRow {
  text: string;
  label?: Label | undefined;
  /** 1-based physical line, for messages. */
  line: number;
}

/** How to read the texts of a file. */
export interface TextReadOptions extends Pick<LoadOptions, 'label' | 'labelled' | 'signal'> {
  /** Column (CSV) or field (JSONL) holding the text. Default `text`. */
  text?: string | undefined;
  /** `csv` or `jsonl`; by default chosen by the file name (`.csv`; `.jsonl`, `.ndjson`). */
  format?: 'csv' | 'jsonl' | undefined;
}

/** The text file formats, and the name their datasets give as `source.format`. */
export const TEXT_FORMATS = { csv: 'csv-text', jsonl: 'jsonl-text' } as const;

/** The format of a text file: `options.format`, else by its name. @throws DataError for another ending. */
export function textFormatOf(file: string, format?: 'csv' | 'jsonl'): 'csv' | 'jsonl' {
  if (format) return format;
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.(jsonl|ndjson)$/i.test(file)) return 'jsonl';
  throw new DataError(file, 'text is read from .csv or .jsonl (.ndjson) files; name the format for another ending');
}

/**
 * The texts of a CSV file (a header row, a text column, a label column; other columns are not
 * read) or a JSON lines file (objects with a text field and a label field), streamed one row at
 * a time. Labels follow the numeric loaders: the column or field `options.label`, by default
 * `label` (JSONL: else `y`); `labelled: false` ignores it, `'optional'` reads it when present. A
 * text may be empty; a label may not.
 * @throws DataError naming the file, line and column or field.
 */
export function readTextRows(file: string, options: TextReadOptions = {}): AsyncGenerator<TextRow> {
  return textFormatOf(file, options.format) === 'csv' ? readCsvTexts(file, options) : readJsonlTexts(file, options);
}

async function* readCsvTexts(file: string, options: TextReadOptions): AsyncGenerator<TextRow> {
  const parser = pipeline(
    createReadStream(file),
    parse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true }),
    () => {},
  );
  const lines = new CsvLineCounter();
  let columns: { names: string[]; text: number; label: number | undefined } | undefined;
  let rows = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: Info }>) {
      options.signal?.throwIfAborted();
      const line = lines.next(record, info);
      if (record.every((cell) => cell.trim() === '')) continue;
      if (!columns) {
        columns = csvColumns(file, record, line, options);
        continue;
      }
      if (record.length !== columns.names.length) {
        throw new DataError(file, `${record.length} cells, but the header has ${columns.names.length} columns`, { line });
      }
      rows++;
      if (columns.label === undefined) {
        yield { text: record[columns.text]!, line };
        continue;
      }
      const label = record[columns.label]!.trim();
      if (label === '') throw new DataError(file, 'the label is empty', { line, column: columns.names[columns.label]! });
      yield { text: record[columns.text]!, label, line };
    }
  } catch (error) {
    throw error instanceof CsvError ? csvError(file, error, lines) : readError(file, error);
  }
  if (!columns) throw new DataError(file, 'the file is empty; expected a header row');
  if (rows === 0) throw new DataError(file, 'no data rows after the header');
}

function csvColumns(file: string, header: string[], line: number, options: TextReadOptions) {
  const names = header.map((name) => name.trim());
  const textName = options.text ?? 'text';
  const text = names.indexOf(textName);
  if (text < 0) throw new DataError(file, `no "${textName}" column for the text; the header has ${shortList(names, 12)}`, { line });
  const labelName = options.label ?? 'label';
  const labelled = options.labelled ?? true;
  const found = names.indexOf(labelName);
  if (found < 0 && labelled === true) {
    throw new DataError(file, `no "${labelName}" column for the labels; the header has ${shortList(names, 12)}`, { line });
  }
  if (found === text) throw new DataError(file, `"${textName}" cannot be both the text and the label column`, { line });
  return { names, text, label: labelled === false || found < 0 ? undefined : found };
}

async function* readJsonlTexts(file: string, options: TextReadOptions): AsyncGenerator<TextRow> {
  const handle = await open(file).catch((error: unknown) => Promise.reject(readError(file, error)));
  const input = handle.createReadStream();
  const lines = createInterface({ input, crlfDelay: Infinity });
  const textField = options.text ?? 'text';
  const labelFields = options.label !== undefined ? [options.label] : ['label', 'y'];
  let labelled: boolean | undefined = options.labelled === 'optional' ? undefined : (options.labelled ?? true);
  let line = 0;
  let records = 0;
  try {
    for await (const raw of lines) {
      options.signal?.throwIfAborted();
      line++;
      const trimmed = (line === 1 ? raw.replace(/^\uFEFF/, '') : raw).trim();
      if (trimmed === '') continue;
      const fail = (problem: string): never => {
        throw new DataError(file, problem, { line });
      };
      const object = parseObject(trimmed, fail);
      const text = object[textField];
      if (typeof text !== 'string')
        fail(text === undefined ? `no "${textField}" field for the text` : `"${textField}" must be a string, found ${preview(text)}`);
      const labelField = labelFields.find((field) => field in object);
      labelled ??= labelField !== undefined;
      records++;
      yield { text: text as string, line, ...(labelled ? { label: readLabel(object, labelField, labelFields, fail) } : {}) };
    }
  } finally {
    lines.close();
    input.destroy();
  }
  if (records === 0) throw new DataError(file, 'no records; expected one JSON object a line');
}
