import { HeadstartError, splitFinalSoftmax, type Layer, type ModelSpec } from '@headstart/core';
import { activationLayer } from './layers/activation-layer.js';
import { batchNormLayer } from './layers/batch-norm-layer.js';
import { conv2dLayer } from './layers/conv2d-layer.js';
import { denseLayer } from './layers/dense-layer.js';
import { dropoutLayer } from './layers/dropout-layer.js';
import { flattenLayer } from './layers/flatten-layer.js';
import type { Flow, LayerContext } from './layers/layer-context.js';
import { globalAvgPool2dLayer, pool2dLayer } from './layers/pool2d-layer.js';
import { TO_NCHW, TO_NHWC, transpose } from './ops/shape-ops.js';

/** The model's output before any final softmax, channels-last, and whether that softmax was split off. */
export interface ForwardOutput {
  /** Logits when `endsInSoftmax`, else the model's output. */
  output: string;
  endsInSoftmax: boolean;
}

/**
 * Emit a spec's layers on the input `x` (`[N, ...inputShape]`, channels-last). A final softmax (a
 * dense or conv layer's activation, or a trailing activation layer) is left out so the loss can start
 * from the logits; the caller applies it where outputs are wanted.
 */
export function emitForward(ctx: LayerContext, spec: ModelSpec, x: string): ForwardOutput {
  const { layers, endsInSoftmax } = splitFinalSoftmax(spec.layers);
  let flow: Flow = spec.inputShape.length === 3 ? { value: transpose(ctx, x, TO_NCHW), layout: 'nchw' } : { value: x, layout: 'flat' };
  for (const layer of layers) flow = emitLayer(ctx, layer, flow);
  const output = flow.layout === 'nchw' ? transpose(ctx, flow.value, TO_NHWC) : flow.value;
  return { output, endsInSoftmax };
}

/** Whether the spec ends in a softmax (which the loss `softmaxCrossEntropy` needs). */
export function endsInSoftmax(spec: ModelSpec): boolean {
  return splitFinalSoftmax(spec.layers).endsInSoftmax;
}

function emitLayer(ctx: LayerContext, layer: Layer, x: Flow): Flow {
  switch (layer.type) {
    case 'dense':
      if (x.layout !== 'flat')
        throw new HeadstartError('SPEC_ERROR', `layer "${layer.name}": dense needs flat input; add a flatten layer before it`);
      return denseLayer(ctx, layer, x);
    case 'conv2d':
      return conv2dLayer(ctx, layer, x);
    case 'maxPool2d':
    case 'avgPool2d':
      return pool2dLayer(ctx, layer, x);
    case 'globalAvgPool2d':
      return globalAvgPool2dLayer(ctx, x);
    case 'flatten':
      return flattenLayer(ctx, x);
    case 'batchNorm':
      return batchNormLayer(ctx, layer, x);
    case 'dropout':
      return dropoutLayer(ctx, layer, x);
    case 'activation':
      return activationLayer(ctx, layer, x);
    case 'onnx':
      // An opaque block runs in a session of its own (runtime/opaque-block.ts), ahead of the compiled graph.
      throw new HeadstartError(
        'NOT_SUPPORTED',
        `layer "${layer.name}" is an opaque ONNX block, which runs in its own session and cannot be compiled into a graph`,
      );
    case 'add':
    case 'concat':
      // Unreachable: createModel refuses graphs (requireChain) before anything is compiled.
      throw new Error(`layer "${layer.name}": a ${layer.type} layer reached the chain compiler`);
  }
}
