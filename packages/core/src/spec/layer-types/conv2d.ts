import { z } from 'zod';
import { SpecError } from '../../errors.js';
import { parameter } from '../parameter-shape.js';
import { activationSchema, nodeFields, padding, pair, positiveInt } from './fields.js';
import { asPair, expectImage, windowOutput } from './geometry.js';
import type { SingleInputLayerType } from './layer-type.js';

/**
 * 2-D convolution over channels-last input. Parameters: `kernel [kh, kw, in / groups, out]`,
 * `bias [out]`. With `groups` the input and output channels split into that many groups, each
 * convolved with its own kernels (PyTorch's `groups`); `groups` equal to the input channels is a
 * depthwise convolution (output channel `c · m + k` is input channel `c`'s `k`-th filter).
 */
export const conv2dLayerSchema = z.strictObject({
  type: z.literal('conv2d'),
  ...nodeFields,
  filters: positiveInt,
  kernelSize: pair,
  strides: pair.default(1),
  padding,
  groups: positiveInt.optional(),
  activation: activationSchema.default('linear'),
  useBias: z.boolean().default(true),
});

/** `conv2d`: see {@link conv2dLayerSchema}. */
export const conv2d: SingleInputLayerType<typeof conv2dLayerSchema> = {
  arity: 'one',
  schema: conv2dLayerSchema,
  shapes(layer, input, where) {
    const [h, w, c] = expectImage(input, where, 'conv2d');
    const groups = layer.groups ?? 1;
    if (c % groups !== 0 || layer.filters % groups !== 0) {
      throw new SpecError(`${where}: groups: ${groups} must divide both the input channels (${c}) and filters (${layer.filters})`);
    }
    const [kh, kw] = asPair(layer.kernelSize);
    const outputShape = [...windowOutput([h, w], layer.kernelSize, layer.strides, layer.padding, where, 'kernelSize'), layer.filters];
    const parameters = [parameter(layer, 'kernel', [kh, kw, c / groups, layer.filters], 'kernel')];
    if (layer.useBias) parameters.push(parameter(layer, 'bias', [layer.filters], 'bias'));
    return { outputShape, parameters };
  },
};
