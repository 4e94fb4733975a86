/**
 * Reads exact byte counts from a stream of chunks, for fixed-size binary records (IDX items)
 * that straddle chunk boundaries.
 * @internal
 */
export class ByteReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  /** The next `n` bytes, or fewer when the stream ends first. */
  async read(n: number): Promise<Buffer> {
    while (this.buffered < n && !this.ended) await this.pull();
    return this.take(Math.min(n, this.buffered));
  }

  /** How many bytes are left, reading the stream to its end. */
  async remaining(): Promise<number> {
    while (!this.ended) await this.pull();
    return this.buffered;
  }

  /** Stop reading and release the stream. */
  async close(): Promise<void> {
    await this.source.return?.();
  }

  private async pull(): Promise<void> {
    const next = await this.source.next();
    if (next.done) this.ended = true;
    else {
      this.chunks.push(next.value);
      this.buffered += next.value.length;
    }
  }

  private take(n: number): Buffer {
    // Most reads fall inside one chunk and get a view; only a read across chunks copies.
    if (this.chunks.length > 1 && this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0] ?? Buffer.alloc(0);
    if (first.length > n) this.chunks[0] = first.subarray(n);
    else this.chunks.shift();
    this.buffered -= n;
    return first.subarray(0, n);
  }
}
