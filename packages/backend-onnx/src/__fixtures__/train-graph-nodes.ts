import { parameterShapes, validateSpec, type ModelSpecInput } from '@headstart/core';
import { planTraining } from '@headstart/core/backend-kit';
import { buildTrainGraph } from '../compiler/train-graph.js';
import type { NodeProto } from '../onnx/onnx-proto.js';

/**
 * The nodes of a spec's train graph (plain SGD on a softmax cross-entropy), for tests that pin the ops a layer
 * becomes. `trainable`: the parameters that get a gradient (default: all of them).
 */
export function trainGraphNodes(input: ModelSpecInput, trainable?: string[]): NodeProto[] {
  const spec = validateSpec(input);
  const params = parameterShapes(spec);
  const names = trainable ?? params.map((p) => p.name);
  const options = {
    trainable: names,
    groups: [{ name: 'all', params: names, lr: 0.1 }],
    optimizer: { type: 'sgd' as const },
    loss: 'softmaxCrossEntropy' as const,
  };
  const plan = planTraining(spec, options, params);
  return buildTrainGraph({ spec, params, plan, optimizer: options.optimizer, loss: options.loss }).model.graph!.node!;
}
