import { describe, expect, test } from 'vitest';
import { CheckpointError } from '../errors.js';
import type { NamedTensors } from '../tensors.js';
import { SAFETENSORS_CORRUPTIONS } from './__fixtures__/corrupt-files.js';
import { rawSafetensors } from './__fixtures__/small-checkpoint.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

const FILE = 'weights.safetensors';

function bitsOf(data: Float32Array): number[] {
  return [...new Uint32Array(data.buffer, data.byteOffset, data.length)];
}

function tensors(): NamedTensors {
  return new Map([
    // Integer-like names would come first in a plain JS object; the file must keep insertion order.
    ['z.last', { shape: [2, 3], data: new Float32Array([1, -2, 3.5, 1e-45, -0, 3.4028234663852886e38]) }],
    ['10', { shape: [], data: new Float32Array([Number.NaN]) }],
    ['empty', { shape: [0, 4], data: new Float32Array(0) }],
    ['a.first', { shape: [3], data: new Float32Array([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.1]) }],
  ]);
}

describe('encodeSafetensors / decodeSafetensors', () => {
  test('round-trips names, order, shapes and bit-identical float32 data', () => {
    const input = tensors();
    const decoded = decodeSafetensors(encodeSafetensors(input, { note: 'hi' }), FILE);
    expect([...decoded.tensors.keys()]).toEqual([...input.keys()]);
    for (const [name, t] of input) {
      const got = decoded.tensors.get(name)!;
      expect(got.shape, name).toEqual(t.shape);
      expect(bitsOf(got.data), name).toEqual(bitsOf(t.data));
    }
    expect(decoded.header.metadata).toEqual({ note: 'hi' });
  });

  test('writes the length field, a space-padded header of a multiple of 8 bytes, then contiguous data', () => {
    const bytes = encodeSafetensors(new Map([['w', { shape: [2], data: new Float32Array([1, 2]) }]]), { a: 'b' });
    const length = Number(bytes.readBigUInt64LE(0));
    expect(length % 8).toBe(0);
    const header = bytes.subarray(8, 8 + length).toString('utf8');
    expect(header.trimEnd()).toBe('{"__metadata__":{"a":"b"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}');
    expect(header.slice(header.trimEnd().length)).toMatch(/^ *$/);
    expect(bytes.length).toBe(8 + length + 8);
    expect(bytes.readFloatLE(8 + length + 4)).toBe(2);
  });

  test('omits __metadata__ when none is given', () => {
    const bytes = encodeSafetensors(new Map());
    expect(bytes.subarray(8).toString('utf8').trimEnd()).toBe('{}');
    expect(decodeSafetensors(bytes, FILE).header.metadata).toEqual({});
  });

  test('reads by offsets, whatever the key order, and from data that is not 4-byte aligned', () => {
    const data = new Uint8Array(12);
    new DataView(data.buffer).setFloat32(0, 1.5, true);
    new DataView(data.buffer).setFloat32(4, -2.25, true);
    new DataView(data.buffer).setFloat32(8, 7, true);
    // Other writers need not pad the header, so the data may start at an odd byte.
    let header = JSON.stringify({
      b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
    });
    while ((8 + header.length) % 4 !== 1) header += ' ';
    const bytes = rawSafetensors(header, data);
    const decoded = decodeSafetensors(bytes, FILE);
    expect([...decoded.tensors.keys()]).toEqual(['a', 'b']);
    expect([...decoded.tensors.get('a')!.data]).toEqual([1.5, -2.25]);
    expect([...decoded.tensors.get('b')!.data]).toEqual([7]);
  });

  test('decoded tensors are copies, not views of the file bytes', () => {
    const bytes = encodeSafetensors(new Map([['w', { shape: [1], data: new Float32Array([3]) }]]));
    const decoded = decodeSafetensors(bytes, FILE);
    bytes.fill(0, bytes.length - 4);
    expect(decoded.tensors.get('w')!.data[0]).toBe(3);
  });

  test('refuses to encode data that does not fill its shape, or a reserved name', () => {
    expect(() => encodeSafetensors(new Map([['w', { shape: [2, 2], data: new Float32Array(3) }]]))).toThrow(
      new RangeError('tensor "w": 3 values do not fill shape [2, 2] (4 values)'),
    );
    expect(() => encodeSafetensors(new Map([['__metadata__', { shape: [], data: new Float32Array(1) }]]))).toThrow(
      new RangeError('tensor name "__metadata__" is reserved by safetensors'),
    );
  });

  describe('rejects damaged files with one line naming the file and the problem', () => {
    test.each(SAFETENSORS_CORRUPTIONS)('$name', ({ bytes, problem }) => {
      let caught: unknown;
      try {
        decodeSafetensors(bytes(), FILE);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(CheckpointError);
      expect((caught as CheckpointError).message).toBe(`${FILE}: ${problem}`);
      expect((caught as CheckpointError).file).toBe(FILE);
    });
  });
});
