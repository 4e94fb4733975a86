import { z } from 'zod';

/** Element-wise activations a layer may apply. */
export const activationSchema = z.enum(['linear', 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'gelu', 'softmax']);
/** Element-wise activation name. */
export type Activation = z.infer<typeof activationSchema>;

const layerName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a name of letters, digits and _ (it prefixes parameter names like "<name>.kernel")');
const positiveInt = z.number().int().positive();
const pair = z.union([positiveInt, z.tuple([positiveInt, positiveInt])]);
const padding = z.enum(['valid', 'same']).default('valid');

/** Fully connected layer. Parameters: `kernel [in, out]`, `bias [out]`. */
export const denseLayerSchema = z.object({
  type: z.literal('dense'),
  name: layerName,
  units: positiveInt,
  activation: activationSchema.default('linear'),
  useBias: z.boolean().default(true),
});

/** 2-D convolution over channels-last input. Parameters: `kernel [kh, kw, in, out]`, `bias [out]`. */
export const conv2dLayerSchema = z.object({
  type: z.literal('conv2d'),
  name: layerName,
  filters: positiveInt,
  kernelSize: pair,
  strides: pair.default(1),
  padding,
  activation: activationSchema.default('linear'),
  useBias: z.boolean().default(true),
});

/** Max or average pooling over channels-last input. No parameters. */
export const pool2dLayerSchema = z.object({
  type: z.enum(['maxPool2d', 'avgPool2d']),
  name: layerName,
  poolSize: pair.default(2),
  strides: pair.optional(),
  padding,
});

/** Average over height and width, leaving `[channels]`. No parameters. */
export const globalAvgPool2dLayerSchema = z.object({ type: z.literal('globalAvgPool2d'), name: layerName });

/** Row-major (channels-last) flatten to one dimension. No parameters. */
export const flattenLayerSchema = z.object({ type: z.literal('flatten'), name: layerName });

/**
 * Batch normalisation over the last axis. Parameters: `gamma`, `beta` (trainable) and
 * `movingMean`, `movingVariance` (statistics, never trained by gradient).
 */
export const batchNormLayerSchema = z.object({
  type: z.literal('batchNorm'),
  name: layerName,
  momentum: z.number().min(0).max(1).default(0.99),
  epsilon: z.number().positive().default(1e-3),
});

/** Dropout with the given drop rate, active only while training. No parameters. */
export const dropoutLayerSchema = z.object({
  type: z.literal('dropout'),
  name: layerName,
  rate: z.number().min(0).lt(1),
});

/** A stand-alone activation. No parameters. */
export const activationLayerSchema = z.object({
  type: z.literal('activation'),
  name: layerName,
  activation: activationSchema,
});

/**
 * An opaque, forward-only block: the part of an imported ONNX model that has no headstart layers
 * (an op no layer computes, or branches and merges). Its one parameter, `<name>.graph` (uint8,
 * `[graphBytes]`), holds a self-contained ONNX model of that part, so a checkpoint stays portable.
 * Backends that can run ONNX run it as it is; it has no gradient, so it can only be the first layer
 * (a frozen base), and asking to train it fails naming {@link OnnxLayer.unsupported}.
 * The block maps a channels-last `inputShape` to a channels-last `outputShape`: a backend hands the
 * ONNX graph image samples (`[H, W, C]`) as NCHW and turns an NCHW image output back to `[H, W, C]`.
 */
export const onnxLayerSchema = z.object({
  type: z.literal('onnx'),
  name: layerName,
  /** Channels-last shape of one input sample; the spec's input shape must equal it. */
  inputShape: z.array(positiveInt).min(1),
  /** Channels-last shape of one output sample (what shape inference passes on). */
  outputShape: z.array(positiveInt).min(1),
  /** Size in bytes of the ONNX model held in `<name>.graph`. */
  graphBytes: positiveInt,
  /** The node that made the block opaque, named when training is asked of it. */
  unsupported: z.object({
    /** ONNX op type, e.g. `Erf`. */
    op: z.string(),
    /** Node name in the original model (its first output when unnamed). */
    node: z.string(),
    /** Why no headstart layer computes it. */
    reason: z.string().optional(),
  }),
});

/** Any layer of a ModelSpec, told apart by `type`. */
export const layerSchema = z.discriminatedUnion('type', [
  denseLayerSchema,
  conv2dLayerSchema,
  pool2dLayerSchema,
  globalAvgPool2dLayerSchema,
  flattenLayerSchema,
  batchNormLayerSchema,
  dropoutLayerSchema,
  activationLayerSchema,
  onnxLayerSchema,
]);

/** A validated `dense` layer: see {@link denseLayerSchema}. */
export type DenseLayer = z.infer<typeof denseLayerSchema>;
/** A validated `conv2d` layer: see {@link conv2dLayerSchema}. */
export type Conv2dLayer = z.infer<typeof conv2dLayerSchema>;
/** A validated `pool2d` layer: see {@link pool2dLayerSchema}. */
export type Pool2dLayer = z.infer<typeof pool2dLayerSchema>;
/** A validated `globalAvgPool2d` layer: see {@link globalAvgPool2dLayerSchema}. */
export type GlobalAvgPool2dLayer = z.infer<typeof globalAvgPool2dLayerSchema>;
/** A validated `flatten` layer: see {@link flattenLayerSchema}. */
export type FlattenLayer = z.infer<typeof flattenLayerSchema>;
/** A validated `batchNorm` layer: see {@link batchNormLayerSchema}. */
export type BatchNormLayer = z.infer<typeof batchNormLayerSchema>;
/** A validated `dropout` layer: see {@link dropoutLayerSchema}. */
export type DropoutLayer = z.infer<typeof dropoutLayerSchema>;
/** A validated `activation` layer: see {@link activationLayerSchema}. */
export type ActivationLayer = z.infer<typeof activationLayerSchema>;
/** A validated `onnx` layer: see {@link onnxLayerSchema}. */
export type OnnxLayer = z.infer<typeof onnxLayerSchema>;
/** A validated layer, defaults filled in. */
export type Layer = z.infer<typeof layerSchema>;
/** A layer as a user may write it (defaults optional). */
export type LayerInput = z.input<typeof layerSchema>;
/** The `type` tag of a layer. */
export type LayerType = Layer['type'];

/** The opaque ONNX blocks of a list of layers (see {@link onnxLayerSchema}). */
export function opaqueLayers(layers: readonly Layer[]): OnnxLayer[] {
  return layers.filter((l): l is OnnxLayer => l.type === 'onnx');
}

/** `n` or `[h, w]` as `[h, w]`. */
export function asPair(value: number | readonly [number, number]): [number, number] {
  return typeof value === 'number' ? [value, value] : [value[0], value[1]];
}
