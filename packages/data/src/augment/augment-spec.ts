import { HeadstartError } from '@headstart/core';

/**
 * Which image augmentations a run applies, as `--augment flip,crop=2,shift=1` says (torchvision's
 * `RandomHorizontalFlip`, `RandomCrop(padding=…)`, and Keras's `RandomTranslation` in whole pixels).
 */
export interface AugmentSpec {
  /** Mirror left–right with probability 1/2. */
  flip: boolean;
  /** Pad every side with this many pixels of zeros and cut a window of the image's size at random (0: off). */
  crop: number;
  /** Move the image by up to this many pixels each way, filling with the nearest edge pixels (0: off). */
  shift: number;
}

/** The names `--augment` takes, for errors. */
const ITEMS = 'flip, crop=PIXELS, shift=PIXELS';

/**
 * `flip,crop=2` → `{ flip: true, crop: 2, shift: 0 }`.
 * @throws HeadstartError `USAGE` naming the item that is not one of {@link ITEMS}, or is given twice.
 */
export function parseAugmentation(text: string): AugmentSpec {
  const spec: AugmentSpec = { flip: false, crop: 0, shift: 0 };
  const seen = new Set<string>();
  for (const item of text.split(',').map((s) => s.trim())) {
    const [name = '', value, extra] = item.split('=').map((s) => s.trim());
    if (seen.has(name)) throw usage(`${name} is given twice; give it once`);
    seen.add(name);
    if (name === 'flip' && value === undefined) spec.flip = true;
    else if ((name === 'crop' || name === 'shift') && extra === undefined) spec[name] = pixels(name, value);
    else throw usage(`expected a comma-separated list of ${ITEMS}, got "${item}"`);
  }
  return spec;
}

/** `flip,crop=2,shift=1`: the canonical text of a spec (what provenance records), items in a fixed order. */
export function formatAugmentation(spec: AugmentSpec): string {
  return [spec.flip ? 'flip' : '', spec.crop ? `crop=${spec.crop}` : '', spec.shift ? `shift=${spec.shift}` : ''].filter(Boolean).join(',');
}

function pixels(name: string, value: string | undefined): number {
  const n = value !== undefined && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1)) throw usage(`${name} takes a whole number of pixels from 1 (like ${name}=2), got "${value ?? ''}"`);
  return n;
}

function usage(problem: string): HeadstartError {
  return new HeadstartError('USAGE', problem);
}
