import { z } from 'zod';
import { parameter } from '../parameter-shape.js';
import { activationSchema, nodeFields, padding, pair, positiveInt } from './fields.js';
import { asPair, expectImage, windowOut } from './geometry.js';
import type { SingleInputLayerType } from './layer-type.js';

/** 2-D convolution over channels-last input. Parameters: `kernel [kh, kw, in, out]`, `bias [out]`. */
export const conv2dLayerSchema = z.strictObject({
  type: z.literal('conv2d'),
  ...nodeFields,
  filters: positiveInt,
  kernelSize: pair,
  strides: pair.default(1),
  padding,
  activation: activationSchema.default('linear'),
  useBias: z.boolean().default(true),
});

/** `conv2d`: see {@link conv2dLayerSchema}. */
export const conv2d: SingleInputLayerType<typeof conv2dLayerSchema> = {
  arity: 'one',
  schema: conv2dLayerSchema,
  shapes(layer, input, where) {
    const [h, w, c] = expectImage(input, where, 'conv2d');
    const [kh, kw] = asPair(layer.kernelSize);
    const [sh, sw] = asPair(layer.strides);
    const outputShape = [
      windowOut(h, kh, sh, layer.padding, where, 'kernelSize'),
      windowOut(w, kw, sw, layer.padding, where, 'kernelSize'),
      layer.filters,
    ];
    const parameters = [parameter(layer, 'kernel', [kh, kw, c, layer.filters], 'kernel')];
    if (layer.useBias) parameters.push(parameter(layer, 'bias', [layer.filters], 'bias'));
    return { outputShape, parameters };
  },
};
