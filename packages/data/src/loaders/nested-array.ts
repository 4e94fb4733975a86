import { beyondFloat32, fitsFloat32 } from '../records/float32.js';

/** A nested array of numbers flattened row-major, with its shape (`[[1,2],[3,4]]` → `[2,2]`). */
export interface FlatArray {
  shape: number[];
  values: Float32Array;
}

/** Deepest nesting read (a sample of rank 16 is far past any real data; deeper would overflow the stack). */
export const MAX_NESTING = 16;

/**
 * Flatten a (possibly nested) JSON array of numbers that float32 holds, at most {@link MAX_NESTING} deep.
 * Every level must be rectangular.
 * `fail` receives a one-line problem naming the position, such as `features[1][2]`.
 * @internal
 */
export function flattenNested(value: unknown, name: string, fail: (problem: string) => never): FlatArray {
  if (!Array.isArray(value)) fail(`"${name}" must be a list of numbers, found ${preview(value)}`);
  const shape = shapeOfFirsts(value);
  if (shape.length > MAX_NESTING) fail(`"${name}" is nested ${shape.length} lists deep; at most ${MAX_NESTING} are read`);
  if (shape.includes(0)) fail(`"${name}" has an empty list`);
  // Collected as found, not allocated from the shape: the first items' lengths may promise far more than the line holds.
  const values: number[] = [];
  const walk = (node: unknown, depth: number, path: string): void => {
    const length = shape[depth];
    if (length === undefined) {
      if (typeof node !== 'number') fail(`expected a number at ${path}, found ${preview(node)}`);
      // JSON.parse reads a literal past float64 (1e400) as Infinity: its digits are gone by now.
      if (!fitsFloat32(node)) fail(`${path}: ${beyondFloat32(Number.isFinite(node) ? String(node) : 'the number')}`);
      values.push(node);
      return;
    }
    if (!Array.isArray(node)) fail(`expected a list at ${path}, found ${preview(node)}`);
    if (node.length !== length)
      fail(`${path} has ${node.length} item${node.length === 1 ? '' : 's'}, expected ${length} like ${name}${'[0]'.repeat(depth)}`);
    node.forEach((child, i) => walk(child, depth + 1, `${path}[${i}]`));
  };
  walk(value, 0, name);
  return { shape, values: Float32Array.from(values) };
}

function shapeOfFirsts(value: unknown): number[] {
  const shape: number[] = [];
  for (let node = value; Array.isArray(node); node = node[0]) shape.push(node.length);
  return shape;
}

/** A JSON value, short enough for a message. */
export function preview(value: unknown): string {
  const text = value === undefined ? 'nothing' : stringifyOrDescribe(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function stringifyOrDescribe(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    // Nesting too deep for JSON.stringify's recursion.
    return Array.isArray(value) ? 'a deeply nested list' : 'a deeply nested object';
  }
}
