import { inferShapes, sizeOf, validateSpec, type LayerInput, type LayerShapes, type ModelSpec } from '@headstart/core';

/** An autoencoder built over an encoder, and which of its layers are the (throw-away) decoder. */
export interface Autoencoder {
  spec: ModelSpec;
  decoderLayers: string[];
}

/** How {@link autoencoderSpec} builds the decoder. */
export interface DecoderOptions {
  /** Add a dense ReLU layer mirroring the encoder's width before the output. */
  hidden: boolean;
  /** Layer names the decoder must not take (beyond the encoder's own). */
  reserved?: readonly string[] | undefined;
}

/**
 * The encoder followed by a decoder back to the encoder's input: a flatten when the code is not
 * flat, optionally a dense ReLU layer as wide as the input of the encoder's last dense/conv layer
 * (its mirror image), then a linear dense layer with one unit per input value. Trained with `mse`
 * against the flattened input (`FitPlan.target: 'inputs'`).
 */
export function autoencoderSpec(encoder: ModelSpec, options: DecoderOptions): Autoencoder {
  const shapes = inferShapes(encoder);
  const taken = new Set([...encoder.layers.map((l) => l.name), ...(options.reserved ?? [])]);
  const name = (base: string): string => {
    let candidate = base;
    for (let i = 2; taken.has(candidate); i++) candidate = `${base}_${i}`;
    taken.add(candidate);
    return candidate;
  };
  const decoder: LayerInput[] = [];
  if (shapes[shapes.length - 1]!.outputShape.length !== 1) decoder.push({ type: 'flatten', name: name('decoder_flatten') });
  const width = options.hidden ? mirrorWidth(shapes) : undefined;
  if (width !== undefined) decoder.push({ type: 'dense', name: name('decoder_hidden'), units: width, activation: 'relu' });
  decoder.push({ type: 'dense', name: name('decoder_out'), units: sizeOf(encoder.inputShape), activation: 'linear' });
  return {
    spec: validateSpec({ inputShape: encoder.inputShape, layers: [...encoder.layers, ...decoder] }, 'autoencoder'),
    decoderLayers: decoder.map((l) => l.name),
  };
}

/** The flattened input width of the last dense/conv layer, unless that is the encoder's own input (nothing to mirror). */
function mirrorWidth(shapes: LayerShapes[]): number | undefined {
  const kernels = shapes.filter((l) => l.layer.type === 'dense' || l.layer.type === 'conv2d');
  return kernels.length >= 2 ? sizeOf(kernels[kernels.length - 1]!.inputShape) : undefined;
}
