import { DataError, type Label, type LoadOptions } from '@headstart/core';
import { isDecimal } from '../records/float32.js';
import { shortList } from './short-list.js';

/** Whether a label reads as a finite number: `3`, `"3"`, `"2.5"` (a CSV cell is always text). */
export function isNumericLabel(label: Label): boolean {
  return typeof label === 'number' ? Number.isFinite(label) : isDecimal(label.trim());
}

/** One key per label value, so `"3"`, `"3.0"` and `3` are the same class. */
function labelKey(label: Label): string {
  return isNumericLabel(label) ? `n:${Number(label)}` : `s:${String(label).trim()}`;
}

/**
 * The deterministic order of a label map: numbers ascending, then strings by plain `<` (code
 * units, not the locale, so every machine agrees).
 */
export function compareLabels(a: Label, b: Label): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a !== typeof b) return typeof a === 'number' ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Index of `label` in `labelMap` (`"3"` matches `3`), or -1 when it is not there. */
export function labelIndex(labelMap: readonly Label[], label: Label): number {
  const key = labelKey(label);
  return labelMap.findIndex((known) => labelKey(known) === key);
}

/** The original labels of class indices, e.g. to print predictions in the user's labels. */
export function labelsFromIndices(indices: ArrayLike<number>, labelMap: readonly Label[]): Label[] {
  return Array.from(indices, (index) => {
    const label = labelMap[index];
    if (label === undefined) throw new RangeError(`class index ${index} is outside the label map (${labelMap.length} labels)`);
    return label;
  });
}

/** How a {@link LabelMapBuilder} names positions and treats a fixed label map. */
export interface LabelMapOptions extends Pick<LoadOptions, 'labelMap' | 'extendLabels'> {
  /** What the position passed to `add` counts: text `line`s (default) or binary `item`s. */
  unit?: 'line' | 'item' | undefined;
}

/** The outcome of {@link LabelMapBuilder.finish}. */
export interface LabelledSamples {
  /** Class index → original label. */
  labelMap: Label[];
  /** Class index of each sample, in the order they were added. */
  labels: Int32Array;
}

/**
 * Turns the labels of a file, one per sample, into class indices and a label map.
 *
 * Without a fixed map, the labels are numbers if every one of them reads as a number (CSV cells
 * like `"3"`), else strings, and the map is sorted by {@link compareLabels}. With
 * `options.labelMap` (from a checkpoint) its indices are kept; an unseen label is an error naming
 * its line, unless `extendLabels`, which appends the unseen labels, sorted, after the known ones.
 */
export class LabelMapBuilder {
  private readonly ids = new Map<string, number>();
  private readonly originals: Label[] = [];
  private readonly fixedCount: number;
  private indices = new Int32Array(1024);
  private count = 0;

  constructor(
    private readonly file: string,
    private readonly options: LabelMapOptions = {},
  ) {
    for (const label of options.labelMap ?? []) this.intern(label);
    this.fixedCount = this.originals.length;
  }

  /** Samples added so far. */
  get size(): number {
    return this.count;
  }

  /** Record the label of the next sample; `line` (1-based) is for error messages. */
  add(label: Label, line: number): void {
    if (typeof label === 'string' && label.trim() === '') throw this.error('the label is empty', line);
    let id = this.ids.get(labelKey(label));
    if (id === undefined) {
      if (this.options.labelMap && !this.options.extendLabels) throw this.unknown(label, line);
      id = this.intern(label);
    }
    if (this.count === this.indices.length) {
      const grown = new Int32Array(this.indices.length * 2);
      grown.set(this.indices);
      this.indices = grown;
    }
    this.indices[this.count++] = id;
  }

  /** The label map and each sample's class index. */
  finish(): LabelledSamples {
    const { labelMap, finalIndex } = this.options.labelMap ? this.extendFixed() : this.sortAll();
    const labels = new Int32Array(this.count);
    for (let i = 0; i < this.count; i++) labels[i] = finalIndex[this.indices[i]!]!;
    return { labelMap, labels };
  }

  private intern(label: Label): number {
    const id = this.originals.length;
    this.ids.set(labelKey(label), id);
    this.originals.push(typeof label === 'string' ? label.trim() : label);
    return id;
  }

  private sortAll(): { labelMap: Label[]; finalIndex: number[] } {
    const values = normalise(this.originals, this.originals.every(isNumericLabel));
    return sortedMap(values, 0);
  }

  private extendFixed(): { labelMap: Label[]; finalIndex: number[] } {
    const known = this.originals.slice(0, this.fixedCount);
    const added = this.originals.slice(this.fixedCount);
    const numeric = known.every((l) => typeof l === 'number') && added.every(isNumericLabel);
    const { labelMap, finalIndex } = sortedMap(normalise(added, numeric), known.length);
    return { labelMap: [...known, ...labelMap], finalIndex: [...known.keys(), ...finalIndex] };
  }

  private unknown(label: Label, line: number): DataError {
    const known = this.options.labelMap ?? [];
    const shown = typeof label === 'number' ? String(label) : `"${label.trim()}"`;
    return this.error(`label ${shown} is not one of the ${known.length} known labels (${shortList(known)})`, line);
  }

  private error(problem: string, position: number): DataError {
    return this.options.unit === 'item'
      ? new DataError(this.file, `item ${position}: ${problem}`)
      : new DataError(this.file, problem, { line: position });
  }
}

function normalise(labels: readonly Label[], numeric: boolean): Label[] {
  return labels.map((l) => (numeric ? Number(l) : String(l)));
}

/** Sorts `values` and maps each value's position to `offset +` its rank. */
function sortedMap(values: Label[], offset: number): { labelMap: Label[]; finalIndex: number[] } {
  const order = values.map((_, i) => i).sort((a, b) => compareLabels(values[a]!, values[b]!));
  const finalIndex = new Array<number>(values.length);
  order.forEach((position, rank) => (finalIndex[position] = offset + rank));
  return { labelMap: order.map((position) => values[position]!), finalIndex };
}
