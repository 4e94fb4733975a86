import type { LayerInput } from './layers.js';
import { SpecError } from '../errors.js';
import { specInputs } from './graph-cut.js';
import { validateSpec, type ModelSpec } from './model-spec.js';

/**
 * The model `train` builds when the user names none: an MLP for flat features, a small CNN for
 * images (`[height, width, channels]`). Both end in a dense `head` with a softmax over `classes`.
 */
export function defaultModelSpec(sampleShape: number[], classes: number): ModelSpec {
  // Samples of another rank (a JSONL matrix, a sequence of vectors) are flattened into the MLP.
  const layers: LayerInput[] =
    sampleShape.length === 3
      ? cnnBody(sampleShape)
      : sampleShape.length === 1
        ? mlpBody()
        : [{ type: 'flatten', name: 'flatten' }, ...mlpBody()];
  layers.push({ type: 'dense', name: 'head', units: classes, activation: 'softmax' });
  return validateSpec({ inputShape: sampleShape, layers }, 'default model');
}

function mlpBody(): LayerInput[] {
  return [
    { type: 'dense', name: 'enc1', units: 128, activation: 'relu' },
    { type: 'dense', name: 'enc2', units: 64, activation: 'relu' },
  ];
}

function cnnBody([height, width]: number[]): LayerInput[] {
  const layers: LayerInput[] = [
    { type: 'conv2d', name: 'conv1', filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' },
    { type: 'maxPool2d', name: 'pool1', poolSize: 2 },
    { type: 'conv2d', name: 'conv2', filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' },
  ];
  // A second pooling only pays off when the image is still large enough to keep a 2x2 map.
  if (Math.min(height!, width!) >= 8) layers.push({ type: 'maxPool2d', name: 'pool2', poolSize: 2 });
  layers.push({ type: 'flatten', name: 'flatten' }, { type: 'dense', name: 'enc1', units: 64, activation: 'relu' });
  return layers;
}

/**
 * The same spec with its output layer (the last dense layer) resized to `classes`: a new head for
 * new labels. The layer gets a softmax unless a softmax activation layer already follows it.
 * Returns the new spec and the name of the replaced layer.
 * @throws SpecError when the spec has no dense layer.
 */
export function withHeadUnits(spec: ModelSpec, classes: number): { spec: ModelSpec; head: string } {
  const index = lastDenseIndex(spec);
  if (index < 0)
    throw new SpecError(`model has no dense layer to size to the ${classes} classes; end it in a dense layer with a softmax activation`);
  const softmaxAfter = spec.layers.slice(index + 1).some((l) => l.type === 'activation' && l.activation === 'softmax');
  const layers = spec.layers.map((layer, i) =>
    i === index && layer.type === 'dense'
      ? { ...layer, units: classes, ...(softmaxAfter ? {} : { activation: 'softmax' as const }) }
      : layer,
  );
  return { spec: validateSpec({ ...specInputs(spec), layers }), head: spec.layers[index]!.name };
}

/** Index of the last dense layer: the classifier head by default. */
export function lastDenseIndex(spec: ModelSpec): number {
  for (let i = spec.layers.length - 1; i >= 0; i--) if (spec.layers[i]!.type === 'dense') return i;
  return -1;
}
