/** The parts of csv-parse's per-record `info` that line counting needs. */
export interface CsvRecordInfo {
  empty_lines: number;
  comment_lines: number;
}

/**
 * Physical line numbers of CSV records, as an editor shows them. csv-parse's own `info.lines`
 * is the line a record ends on and counts a quoted `\r\n` twice, so we count ourselves: a record
 * starts after the previous one and any blank or comment lines skipped since.
 * @internal
 */
export class CsvLineCounter {
  private end = 0;
  private empty = 0;
  private comments = 0;

  /** The 1-based line `record` starts on. Call once per record, in order. */
  next(record: readonly string[], info: CsvRecordInfo): number {
    const start = this.end + 1 + (info.empty_lines - this.empty) + (info.comment_lines - this.comments);
    this.empty = info.empty_lines;
    this.comments = info.comment_lines;
    this.end = start + record.reduce((n, cell) => n + countLineBreaks(cell), 0);
    return start;
  }

  /** The first line after the last counted record: where a record csv-parse could not finish starts. */
  following(): number {
    return this.end + 1;
  }
}

function countLineBreaks(cell: string): number {
  return cell.match(/\r\n|\r|\n/g)?.length ?? 0;
}
