import { HeadstartError, type BatchTransform, type Rng } from '@headstart/core';
import { moveImage, type ImageMove } from './augment-image.js';
import { formatAugmentation, type AugmentSpec } from './augment-spec.js';

/**
 * `spec` as a {@link BatchTransform} for images of `sampleShape` (`[height, width, channels]`): each
 * sample of a training batch gets its own flip, shift and crop drawn from the batch's generator. An
 * autoencoder's targets (its inputs) move with its inputs; class labels stay as they are.
 * @throws HeadstartError `USAGE` when the samples are not images, or the padding or shift is not smaller than the image.
 */
export function imageAugmentation(spec: AugmentSpec, sampleShape: readonly number[]): BatchTransform {
  const shape = imageShape(sampleShape);
  const [height, width] = shape;
  for (const item of ['crop', 'shift'] as const) {
    if (spec[item] >= Math.min(height, width))
      throw new HeadstartError('USAGE', `${item}=${spec[item]} moves the image by its whole size (${height}×${width}); give fewer pixels`);
  }
  const size = height * width * shape[2];
  return {
    name: `augment ${formatAugmentation(spec)}`,
    apply(batch, rng) {
      const x = new Float32Array(batch.x.length);
      const movesTargets = batch.targets?.length === batch.x.length;
      const targets = movesTargets ? new Float32Array(batch.x.length) : batch.targets;
      for (let i = 0; i < batch.size; i++) {
        const move = drawMove(spec, rng);
        const at = i * size;
        moveImage(batch.x.subarray(at, at + size), x.subarray(at, at + size), shape, move);
        if (movesTargets) moveImage(batch.targets!.subarray(at, at + size), targets!.subarray(at, at + size), shape, move);
      }
      return { ...batch, x, ...(targets ? { targets } : {}) };
    },
  };
}

/** One sample's move; only the enabled augmentations draw, always in this order. */
function drawMove(spec: AugmentSpec, rng: Rng): ImageMove {
  const flip = spec.flip ? rng.next() < 0.5 : false;
  const offset = (pixels: number): number => (pixels > 0 ? rng.int(2 * pixels + 1) - pixels : 0);
  const shift = [offset(spec.shift), offset(spec.shift)] as const;
  const crop = [offset(spec.crop), offset(spec.crop)] as const;
  return { flip, shift, crop };
}

function imageShape(sampleShape: readonly number[]): [number, number, number] {
  if (sampleShape.length !== 3) {
    throw new HeadstartError(
      'USAGE',
      `augmentation needs images of shape [height, width, channels], but the samples have shape [${sampleShape.join(', ')}]; give the image shape (--input-shape 8,8,1 for 8×8 digits)`,
    );
  }
  return [sampleShape[0]!, sampleShape[1]!, sampleShape[2]!];
}
