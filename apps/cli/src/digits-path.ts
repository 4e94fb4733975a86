import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CliError } from './cli-error.js';

/** The embedded digits data set (data/digits/digits.csv at the repository root). */
export function digitsPath(): string {
  const file = fileURLToPath(new URL('../../../data/digits/digits.csv', import.meta.url));
  if (!existsSync(file)) throw new CliError(`the embedded digits data is missing (expected ${file})`, 1);
  return file;
}
