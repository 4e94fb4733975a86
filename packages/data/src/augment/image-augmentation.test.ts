import { batchRng, createRng, type Batch } from '@headstart/core';
import { describe, expect, it } from 'vitest';
import { moveImage, type ImageMove } from './augment-image.js';
import { parseAugmentation } from './augment-spec.js';
import { imageAugmentation } from './image-augmentation.js';

const shape = [4, 4, 1] as const;
/** Four 4×4 images whose pixels are all distinct, labelled 0..3. */
function batch(): Batch {
  return { x: Float32Array.from({ length: 64 }, (_, i) => i + 1), size: 4, labels: Int32Array.of(0, 1, 2, 3) };
}
const sampleShape = [...shape];

/** Every move `crop=1,flip` can draw for one sample. */
function candidates(): ImageMove[] {
  const moves: ImageMove[] = [];
  for (const flip of [false, true])
    for (let oy = -1; oy <= 1; oy++) for (let ox = -1; ox <= 1; ox++) moves.push({ flip, shift: [0, 0], crop: [oy, ox] });
  return moves;
}

describe('imageAugmentation', () => {
  const augment = imageAugmentation(parseAugmentation('flip,crop=1'), sampleShape);

  it('moves each sample by one of the moves it allows, drawn per sample, and keeps the labels', () => {
    const input = batch();
    const out = augment.apply({ ...input, sampleShape }, createRng(7));
    expect(augment.name).toBe('augment flip,crop=1');
    expect(Array.from(out.labels!)).toEqual([0, 1, 2, 3]);
    const drawn = new Set<number>();
    for (let i = 0; i < 4; i++) {
      const sample = out.x.subarray(i * 16, (i + 1) * 16);
      const match = candidates().findIndex((move) => {
        const expected = new Float32Array(16);
        moveImage(input.x.subarray(i * 16, (i + 1) * 16), expected, shape, move);
        return expected.every((v, j) => v === sample[j]);
      });
      expect(match, `sample ${i}`).toBeGreaterThanOrEqual(0);
      drawn.add(match);
    }
    // Not one move for the whole batch.
    expect(drawn.size).toBeGreaterThan(1);
  });

  it('gives the same batch for the same generator, and another for another batch index', () => {
    const one = augment.apply({ ...batch(), sampleShape }, batchRng(42, 'train', 3, 5));
    const again = augment.apply({ ...batch(), sampleShape }, batchRng(42, 'train', 3, 5));
    const next = augment.apply({ ...batch(), sampleShape }, batchRng(42, 'train', 3, 6));
    expect(Array.from(again.x)).toEqual(Array.from(one.x));
    expect(Array.from(next.x)).not.toEqual(Array.from(one.x));
  });

  it("moves an autoencoder's targets (its inputs) with the inputs", () => {
    const input = batch();
    const out = augment.apply({ ...input, targets: input.x.slice(), sampleShape }, createRng(3));
    expect(Array.from(out.targets!)).toEqual(Array.from(out.x));
    expect(Array.from(out.x)).not.toEqual(Array.from(input.x));
  });

  it('refuses samples that are not images, and moves as large as the image', () => {
    expect(() => imageAugmentation(parseAugmentation('flip'), [64])).toThrow(
      'augmentation needs images of shape [height, width, channels], but the samples have shape [64]; give the image shape (--input-shape 8,8,1 for 8×8 digits)',
    );
    expect(() => imageAugmentation(parseAugmentation('shift=4'), sampleShape)).toThrow(
      'shift=4 moves the image by its whole size (4×4); give fewer pixels',
    );
  });
});
