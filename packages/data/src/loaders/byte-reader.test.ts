import { describe, expect, it } from 'vitest';
import { ByteReader } from './byte-reader.js';

async function* chunks(...parts: number[][]): AsyncGenerator<Buffer> {
  for (const part of parts) yield Buffer.from(part);
}

describe('ByteReader', () => {
  it('reads exact counts across chunk boundaries and reports what is left', async () => {
    const reader = new ByteReader(chunks([1, 2, 3], [4], [5, 6, 7])[Symbol.asyncIterator]());
    expect([...(await reader.read(2))]).toEqual([1, 2]);
    expect([...(await reader.read(3))]).toEqual([3, 4, 5]);
    expect(await reader.remaining()).toBe(2);
    expect([...(await reader.read(5))]).toEqual([6, 7]);
    expect([...(await reader.read(1))]).toEqual([]);
  });
});
