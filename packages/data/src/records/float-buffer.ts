/**
 * A growable float32 buffer: appends in amortised O(1) by doubling, then hands back a trimmed
 * copy. Loaders use it so a large file never becomes an array of JS numbers.
 * @internal
 */
export class FloatBuffer {
  private data: Float32Array;
  private used = 0;

  constructor(initialCapacity = 1024) {
    this.data = new Float32Array(Math.max(1, initialCapacity));
  }

  /** Values appended so far. */
  get length(): number {
    return this.used;
  }

  /** Append values at the end. */
  push(values: ArrayLike<number>): void {
    this.reserve(values.length);
    this.data.set(values, this.used);
    this.used += values.length;
  }

  /** The values, in a buffer of exactly {@link length} (a copy, so the spare capacity is freed). */
  toArray(): Float32Array {
    return this.used === this.data.length ? this.data : this.data.slice(0, this.used);
  }

  private reserve(extra: number): void {
    const needed = this.used + extra;
    if (needed <= this.data.length) return;
    let capacity = this.data.length;
    while (capacity < needed) capacity *= 2;
    const grown = new Float32Array(capacity);
    grown.set(this.data.subarray(0, this.used));
    this.data = grown;
  }
}
