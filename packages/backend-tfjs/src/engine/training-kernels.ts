import { inferShapes, type Activation, type Conv2dLayer, type Layer, type ModelSpec } from '@headstart/core';
import { explicitPads } from '@headstart/core/backend-kit';
import * as tf from '@tensorflow/tfjs';

/**
 * Kernels every training step runs whatever the layers: dense products, losses (one-hot, log-softmax,
 * tokenCrossEntropy's counted tokens), accuracy, the optimizers (SGD, Adam, AdamW), weight decay and
 * L2-SP. Measured with `tf.profile` on the cpu engine; `training-kernels.test.ts` and
 * `encoder-on-wasm.test.ts` re-measure, so the table cannot silently fall behind.
 */
const EVERY_STEP = [
  'Add',
  'AddN',
  'ArgMax',
  'BatchMatMul',
  'Cast',
  'Concat',
  'Equal',
  'Exp',
  'Greater',
  'Identity',
  'Log',
  'Max',
  'Maximum',
  'Mean',
  'Multiply',
  'Neg',
  'OneHot',
  'RealDiv',
  'Reshape',
  'Softmax',
  'SplitV',
  'Sqrt',
  'Square',
  'SquaredDifference',
  'Sub',
  'Sum',
];

/** Forward and gradient kernels of each activation. */
const ACTIVATION_KERNELS: Record<Activation, string[]> = {
  linear: [],
  relu: ['Relu', 'Step'],
  relu6: ['Relu6', 'Step', 'LessEqual'],
  leakyRelu: ['LeakyRelu', 'Greater', 'Select'],
  sigmoid: ['Sigmoid'],
  tanh: ['Tanh'],
  gelu: ['Erf'],
  softmax: ['Softmax'],
};

/** Forward and gradient kernels of a layer, beyond {@link EVERY_STEP}. */
function layerKernels(layer: Layer, inputShape: number[]): string[] {
  switch (layer.type) {
    case 'dense':
      return ACTIVATION_KERNELS[layer.activation];
    case 'conv2d':
      return [
        ...convKernels(layer, inputShape[inputShape.length - 1]!),
        ...(explicitPads(layer.padding) ? PAD_KERNELS : []),
        ...ACTIVATION_KERNELS[layer.activation],
      ];
    case 'maxPool2d':
      return ['MaxPool', 'MaxPoolGrad', ...(explicitPads(layer.padding) ? PAD_KERNELS : [])];
    case 'avgPool2d':
      // Padded average pooling is spelled out with padding (see layers/pooling.ts); its gradient slices.
      return ['AvgPool', 'AvgPoolGrad', ...(layer.padding !== 'valid' ? PAD_KERNELS : [])];
    case 'batchNorm':
      return ['Rsqrt', 'Pow'];
    case 'activation':
      return ACTIVATION_KERNELS[layer.activation];
    case 'add':
      // Two inputs: Add; more: AddN. Both are every-step kernels already.
      return [];
    case 'concat':
      return ['Concat', 'Slice'];
    case 'globalAvgPool2d':
    case 'flatten':
    case 'dropout':
      return [];
    case 'embedding':
      // A gather; its gradient sums rows by token id (wasm-segment-sum.ts). Padding ids are masked to zeros.
      return ['GatherV2', 'UnsortedSegmentSum', 'Transpose', ...(layer.paddingIndex !== undefined ? ['NotEqual', 'ExpandDims'] : [])];
    case 'positionEmbedding':
      return ['Slice', ...PAD_KERNELS];
    case 'layerNorm':
      return ['Rsqrt', 'Pow'];
    case 'attention':
      return ['Transpose', 'Softmax'];
    case 'sequencePool':
      return layer.mode === 'first' ? ['Slice', ...PAD_KERNELS] : ['Maximum', 'ExpandDims'];
    default:
      // A layer type this table does not know: claim a kernel no engine registers, so only an
      // engine that runs everything (tfjs-node) or cpu, which comes last, is chosen for it.
      return [`(layer type ${(layer as Layer).type})`];
  }
}

/** Explicit pads are a pad before a `valid` window; its gradient slices the pads off. */
const PAD_KERNELS = ['PadV2', 'Slice'];

/** A plain convolution; a depthwise one (groups = input channels); else one per group, split and joined. */
function convKernels(layer: Conv2dLayer, channels: number): string[] {
  const groups = layer.groups ?? 1;
  const conv = ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'];
  if (groups === 1) return conv;
  if (groups === channels)
    return ['DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'Reshape'];
  return [...conv, 'SplitV', 'Concat', 'Slice'];
}

/** A kernel training a model needs that an engine lacks, and the first layer that needs it. */
export interface MissingKernel {
  kernel: string;
  layer: string;
}

/** Every kernel training a model of `spec` may run, with the first layer needing each. */
export function trainingKernels(spec: ModelSpec): Map<string, string> {
  const needs = new Map<string, string>(EVERY_STEP.map((kernel) => [kernel, '(every step)']));
  for (const { layer, inputShape } of inferShapes(spec))
    for (const kernel of layerKernels(layer, inputShape)) if (!needs.has(kernel)) needs.set(kernel, layer.name);
  return needs;
}

/** Kernels that training `spec` needs and that tfjs backend `backendName` has not registered. */
export function missingKernels(spec: ModelSpec, backendName: string): MissingKernel[] {
  return [...trainingKernels(spec)].filter(([kernel]) => !tf.getKernel(kernel, backendName)).map(([kernel, layer]) => ({ kernel, layer }));
}
