/** What happens to one image: drawn per sample by the augmentation, given by hand in tests. */
export interface ImageMove {
  /** Mirror left–right first. */
  flip: boolean;
  /** Then move the content down `dy` and right `dx` pixels, filling with the nearest edge pixels. */
  shift: readonly [dy: number, dx: number];
  /**
   * Then cut the window whose top-left corner is at `(oy, ox)` of the image (each in `[-padding, padding]`)
   * from the image padded with zeros: pixel `(y, x)` becomes pixel `(y + oy, x + ox)`, or 0 outside.
   */
  crop: readonly [oy: number, ox: number];
}

/**
 * Write `move` applied to the channels-last image `src` (`[height, width, channels]`) into `dst`
 * (another buffer of the same size).
 */
export function moveImage(src: Float32Array, dst: Float32Array, shape: readonly [number, number, number], move: ImageMove): void {
  const [height, width, channels] = shape;
  const [dy, dx] = move.shift;
  const [oy, ox] = move.crop;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const out = (y * width + x) * channels;
      const cy = y + oy;
      const cx = x + ox;
      if (cy < 0 || cy >= height || cx < 0 || cx >= width) {
        dst.fill(0, out, out + channels);
        continue;
      }
      const sy = clamp(cy - dy, height);
      const sx = clamp(cx - dx, width);
      const from = (sy * width + (move.flip ? width - 1 - sx : sx)) * channels;
      for (let c = 0; c < channels; c++) dst[out + c] = src[from + c]!;
    }
  }
}

function clamp(i: number, size: number): number {
  return i < 0 ? 0 : i >= size ? size - 1 : i;
}
