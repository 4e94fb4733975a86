/**
 * Token ids and attention masks of sequences of one length, in buffers that grow as rows are
 * added (doubling), so a file of unknown length is tokenised in one pass without its text.
 * @internal
 */
export class SequenceRows {
  private ids: Int32Array;
  private mask: Int32Array;
  private rows = 0;

  constructor(readonly length: number) {
    const capacity = 1024;
    this.ids = new Int32Array(capacity * length);
    this.mask = new Int32Array(capacity * length);
  }

  /** Rows added so far. */
  get size(): number {
    return this.rows;
  }

  /** Room for one more row; `write(ids, mask, row)` fills it. */
  add(write: (ids: Int32Array, mask: Int32Array, row: number) => void): void {
    if ((this.rows + 1) * this.length > this.ids.length) this.grow();
    write(this.ids, this.mask, this.rows);
    this.rows++;
  }

  /** The rows as `[size, length]` arrays of exactly their size. */
  finish(): { inputIds: Int32Array; attentionMask: Int32Array } {
    const used = this.rows * this.length;
    return { inputIds: this.ids.slice(0, used), attentionMask: this.mask.slice(0, used) };
  }

  private grow(): void {
    const ids = new Int32Array(this.ids.length * 2);
    const mask = new Int32Array(this.mask.length * 2);
    ids.set(this.ids);
    mask.set(this.mask);
    this.ids = ids;
    this.mask = mask;
  }
}
