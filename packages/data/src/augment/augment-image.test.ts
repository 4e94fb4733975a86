import { describe, expect, it } from 'vitest';
import { moveImage, type ImageMove } from './augment-image.js';

/** A 3×3 one-channel image, pixel (y, x) = 10y + x + 1: every pixel tells where it came from. */
const image = Float32Array.of(1, 2, 3, 11, 12, 13, 21, 22, 23);
const still: ImageMove = { flip: false, shift: [0, 0], crop: [0, 0] };

function moved(move: Partial<ImageMove>, src = image, shape: [number, number, number] = [3, 3, 1]): number[] {
  const dst = new Float32Array(src.length).fill(Number.NaN);
  moveImage(src, dst, shape, { ...still, ...move });
  return Array.from(dst);
}

describe('moveImage', () => {
  it('leaves the image as it is when nothing moves', () => {
    expect(moved({})).toEqual(Array.from(image));
  });

  it('mirrors left–right', () => {
    expect(moved({ flip: true })).toEqual([3, 2, 1, 13, 12, 11, 23, 22, 21]);
  });

  it("crops from the zero-padded image: pixel (y, x) is (y + oy, x + ox), zero outside (torchvision's RandomCrop with padding)", () => {
    // The window starts one row up and one column right: content moves down and left.
    expect(moved({ crop: [-1, 1] })).toEqual([0, 0, 0, 2, 3, 0, 12, 13, 0]);
    expect(moved({ crop: [1, 0] })).toEqual([11, 12, 13, 21, 22, 23, 0, 0, 0]);
  });

  it('shifts the content, filling with the nearest edge pixels', () => {
    // Down 1, right 1: the top row and left column repeat the edge.
    expect(moved({ shift: [1, 1] })).toEqual([1, 1, 2, 1, 1, 2, 11, 11, 12]);
    expect(moved({ shift: [0, -2] })).toEqual([3, 3, 3, 13, 13, 13, 23, 23, 23]);
  });

  it('flips, then shifts, then crops, and moves every channel of a pixel together', () => {
    expect(moved({ flip: true, shift: [1, 0], crop: [0, 1] })).toEqual([2, 1, 0, 2, 1, 0, 12, 11, 0]);
    // Two channels: channel 1 is channel 0 negated, and stays so.
    const two = Float32Array.from({ length: 18 }, (_, i) => (i % 2 === 0 ? image[i / 2]! : -image[(i - 1) / 2]!));
    const out = moved({ flip: true, crop: [-1, 0] }, two, [3, 3, 2]);
    expect(out.filter((_, i) => i % 2 === 0)).toEqual([0, 0, 0, 3, 2, 1, 13, 12, 11]);
    expect(out.filter((_, i) => i % 2 === 1)).toEqual([0, 0, 0, -3, -2, -1, -13, -12, -11]);
  });
});
