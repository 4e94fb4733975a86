import { HeadstartError, type LayerInput } from '@headstart/core';
import type { KerasLayer, MappedLayer } from './keras-layer-mapping.js';

/** A ZeroPadding2D waiting to be folded into the window it feeds. */
export interface ZeroPadding {
  kerasName: string;
  /** `[top, left, bottom, right]`. */
  pads: [number, number, number, number];
  /** The headstart value it pads (a layer name, or the model input). */
  source: string;
}

/** Read a ZeroPadding2D: `n`, `[h, w]` or `[[top, bottom], [left, right]]`. */
export function readZeroPadding(file: string, keras: KerasLayer, sources: string[]): ZeroPadding {
  const kerasName = String(keras.config.name);
  const fail = (problem: string): never => {
    throw new HeadstartError('NOT_SUPPORTED', `${file}: layer ZeroPadding2D "${kerasName}": ${problem}`);
  };
  const format = keras.config.data_format;
  if (format !== undefined && format !== null && format !== 'channels_last' && format !== 'channelsLast')
    fail(`data_format ${String(format)}: only channels_last models can be imported`);
  if (sources.length !== 1) fail(`takes ${sources.length} inputs; expected one`);
  const v = keras.config.padding ?? 1;
  const pairs =
    typeof v === 'number'
      ? [
          [v, v],
          [v, v],
        ]
      : Array.isArray(v) && v.every((p) => typeof p === 'number')
        ? v.map((p) => [p, p])
        : v;
  const flat =
    Array.isArray(pairs) && pairs.length === 2 ? (pairs as unknown[]).flatMap((p) => (Array.isArray(p) && p.length === 2 ? p : [NaN])) : [];
  if (flat.length !== 4 || !flat.every((n) => Number.isInteger(n) && (n as number) >= 0))
    fail(`padding ${JSON.stringify(v)}: expected n, [h, w] or [[top, bottom], [left, right]] of integers ≥ 0`);
  const [top, bottom, left, right] = flat as number[];
  return { kerasName, pads: [top!, left!, bottom!, right!], source: sources[0]! };
}

/**
 * Fold a ZeroPadding2D into the layer it feeds, as explicit pads: a `valid` convolution, average
 * pooling (the pads counted, as Keras's zeros are), or max pooling of a value that is never negative
 * (after relu or relu6, where zero pads act as headstart's −∞ pads). `layer` is changed in place.
 * @throws HeadstartError (NOT_SUPPORTED) naming both layers for anything else.
 */
export function foldZeroPadding(file: string, padding: ZeroPadding, keras: KerasLayer, layer: LayerInput, before: MappedLayer[]): void {
  const fail = (problem: string): never => {
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `${file}: layer ZeroPadding2D "${padding.kerasName}" feeds ${keras.class_name} "${String(keras.config.name)}", ${problem}`,
    );
  };
  const pads = compactPads(padding.pads);
  if (layer.type !== 'conv2d' && layer.type !== 'avgPool2d' && layer.type !== 'maxPool2d')
    return fail('which is not a convolution or pooling; only those can take its pads');
  if (layer.padding !== 'valid') fail(`whose padding is "${String(layer.padding)}"; only a valid window can take its pads`);
  if (layer.type === 'maxPool2d' && !nonNegative(padding.source, before))
    fail('a max pooling of a value that may be negative: Keras pads it with zeros, headstart with −∞');
  layer.padding = pads;
  if (layer.type === 'avgPool2d') layer.countIncludePad = true;
}

/** Pads as a spec would say them: `p`, `[h, w]` or `[top, left, bottom, right]`. */
function compactPads([top, left, bottom, right]: [number, number, number, number]):
  | number
  | [number, number]
  | [number, number, number, number] {
  if (top === bottom && left === right) return top === left ? top : [top, left];
  return [top, left, bottom, right];
}

function nonNegative(source: string, before: MappedLayer[]): boolean {
  const layer = before.find((m) => m.layer.name === source)?.layer;
  const activation = layer && 'activation' in layer ? layer.activation : undefined;
  return activation === 'relu' || activation === 'relu6';
}
