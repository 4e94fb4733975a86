import { describe, expect, it } from 'vitest';
import { FloatBuffer } from './float-buffer.js';

describe('FloatBuffer', () => {
  it('grows past its capacity and trims to its length', () => {
    const buffer = new FloatBuffer(2);
    for (let i = 0; i < 5; i++) buffer.push([i, i + 0.5]);
    expect(buffer.length).toBe(10);
    const values = buffer.toArray();
    expect(values).toEqual(new Float32Array([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5]));
    expect(values.buffer.byteLength).toBe(40);
  });
});
