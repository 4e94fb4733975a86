import { describe, expect, it } from 'vitest';
import { formatAugmentation, parseAugmentation } from './augment-spec.js';

describe('parseAugmentation', () => {
  it('reads flip, crop and shift in any order, and writes them back in one order', () => {
    expect(parseAugmentation('shift=1, flip ,crop=2')).toEqual({ flip: true, crop: 2, shift: 1 });
    expect(parseAugmentation('crop=3')).toEqual({ flip: false, crop: 3, shift: 0 });
    expect(formatAugmentation(parseAugmentation('shift=1,flip,crop=2'))).toBe('flip,crop=2,shift=1');
  });

  it.each([
    ['rotate', 'expected a comma-separated list of flip, crop=PIXELS, shift=PIXELS, got "rotate"'],
    ['flip=1', 'expected a comma-separated list of flip, crop=PIXELS, shift=PIXELS, got "flip=1"'],
    ['crop', 'crop takes a whole number of pixels from 1 (like crop=2), got ""'],
    ['crop=0', 'crop takes a whole number of pixels from 1 (like crop=2), got "0"'],
    ['shift=1.5', 'shift takes a whole number of pixels from 1 (like shift=2), got "1.5"'],
    ['crop=1,crop=2', 'crop is given twice; give it once'],
    ['flip,', 'expected a comma-separated list of flip, crop=PIXELS, shift=PIXELS, got ""'],
  ])('refuses %j', (text, problem) => {
    expect(() => parseAugmentation(text)).toThrow(problem);
  });
});
