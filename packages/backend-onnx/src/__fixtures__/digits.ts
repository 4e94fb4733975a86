import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The embedded digits data set: 1797 samples of 64 pixels scaled to [0, 1], labels 0..9. */
export interface Digits {
  x: Float32Array;
  labels: Int32Array;
  size: number;
}

const FILE = fileURLToPath(new URL('../../../../data/digits/digits.csv', import.meta.url));

/** Read data/digits/digits.csv (pixel counts 0..16 divided by 16). */
export function loadDigits(): Digits {
  const lines = readFileSync(FILE, 'utf8').trim().split('\n').slice(1);
  const x = new Float32Array(lines.length * 64);
  const labels = new Int32Array(lines.length);
  lines.forEach((line, row) => {
    const values = line.split(',').map(Number);
    for (let i = 0; i < 64; i++) x[row * 64 + i] = values[i]! / 16;
    labels[row] = values[64]!;
  });
  return { x, labels, size: lines.length };
}
