import { HeadstartError, inferShapes, MODEL_INPUT, type Layer, type ModelSpec } from '@headstart/core';
import { splitFinalSoftmax } from '@headstart/core/backend-kit';
import { activationLayer } from './layers/activation-layer.js';
import { attentionLayer } from './layers/attention-layer.js';
import { batchNormLayer } from './layers/batch-norm-layer.js';
import { conv2dLayer } from './layers/conv2d-layer.js';
import { denseLayer } from './layers/dense-layer.js';
import { dropoutLayer } from './layers/dropout-layer.js';
import { embeddingLayer, positionEmbeddingLayer } from './layers/embedding-layer.js';
import { flattenLayer } from './layers/flatten-layer.js';
import type { Flow, LayerContext } from './layers/layer-context.js';
import { layerNormLayer } from './layers/layer-norm-layer.js';
import { addLayer, concatLayer } from './layers/merge-layers.js';
import { globalAvgPool2dLayer, pool2dLayer } from './layers/pool2d-layer.js';
import { sequencePoolLayer } from './layers/sequence-pool-layer.js';
import { TO_NCHW, TO_NHWC, transpose } from './ops/shape-ops.js';

/** The model's output before any final softmax, channels-last, and whether that softmax was split off. */
export interface ForwardOutput {
  /** Logits when `endsInSoftmax`, else the model's output. */
  output: string;
  endsInSoftmax: boolean;
}

/**
 * Emit a spec's graph on its inputs: `x` (`[N, ...inputShape]`, channels-last), or for a spec with
 * named inputs the graph value of each by name (see `model-inputs.ts`), node by node in
 * topological order, each node reading the values of the nodes it takes by name. The model output is
 * the last listed layer's. A final softmax (that layer's activation, or that layer when it is a
 * softmax activation layer) is left out so the loss can start from the logits; the caller applies it
 * where outputs are wanted.
 */
export function emitForward(ctx: LayerContext, spec: ModelSpec, x: string | ReadonlyMap<string, string>): ForwardOutput {
  const { layers, endsInSoftmax } = splitFinalSoftmax(spec.layers);
  const flows = new Map<string, Flow>();
  if (typeof x === 'string') {
    const input: Flow = spec.inputShape.length === 3 ? { value: transpose(ctx, x, TO_NCHW), layout: 'nchw' } : { value: x, layout: 'flat' };
    flows.set(MODEL_INPUT, input);
  } else {
    for (const [name, value] of x) flows.set(name, { value, layout: 'flat' });
  }
  let output = flows.values().next().value!;
  // The last listed layer is the graph's only sink, so it comes last in topological order.
  for (const node of inferShapes(spec)) {
    const inputs = node.inputs.map((name) => flows.get(name)!);
    // A final softmax activation layer that was split off: the output is what it takes.
    const layer = layers[node.index];
    output = layer ? emitLayer(ctx, layer, inputs) : inputs[0]!;
    flows.set(node.layer.name, output);
  }
  return { output: output.layout === 'nchw' ? transpose(ctx, output.value, TO_NHWC) : output.value, endsInSoftmax };
}

/** Whether the spec ends in a softmax (which the loss `softmaxCrossEntropy` needs). */
export function endsInSoftmax(spec: ModelSpec): boolean {
  return splitFinalSoftmax(spec.layers).endsInSoftmax;
}

function emitLayer(ctx: LayerContext, layer: Layer, inputs: readonly Flow[]): Flow {
  const x = inputs[0]!;
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
    case 'add':
      return addLayer(ctx, layer, inputs);
    case 'concat':
      return concatLayer(ctx, layer, inputs);
    case 'embedding':
      return embeddingLayer(ctx, layer, x);
    case 'positionEmbedding':
      return positionEmbeddingLayer(ctx, layer, x);
    case 'layerNorm':
      return layerNormLayer(ctx, layer, x);
    case 'attention':
      return attentionLayer(ctx, layer, x, inputs[1]);
    case 'sequencePool':
      return sequencePoolLayer(ctx, layer, x, inputs[1]);
    case 'onnx':
      // An opaque block runs in a session of its own (runtime/opaque-block.ts), ahead of the compiled graph.
      throw new HeadstartError(
        'NOT_SUPPORTED',
        `layer "${layer.name}" is an opaque ONNX block, which runs in its own session and cannot be compiled into a graph`,
      );
  }
}
