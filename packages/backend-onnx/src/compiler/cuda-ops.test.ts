import { parameterShapes, validateSpec, type ModelSpecInput, type OptimizerConfig, type TrainerOptions } from '@headstart/core';
import { planTraining } from '@headstart/core/backend-kit';
import { expect, test } from 'vitest';
import type { NodeProto } from '../onnx/onnx-proto.js';
import { buildEvalGraph, buildPredictGraph } from './inference-graph.js';
import { buildMultiStepGraph } from './multi-step-graph.js';
import { buildTrainGraph } from './train-graph.js';

/**
 * Every ai.onnx op type our graphs use, each registered by onnxruntime's CUDA execution provider for
 * float32 (onnxruntime's docs/OperatorKernels.md, "Operators implemented by CUDAExecutionProvider",
 * checked 2026-12-06 for 1.30). docs/gpu.md lists them. A new op in the compiler must be checked
 * there before it joins this list, so that `--device cuda` never runs part of a train step on the CPU.
 */
const CUDA_EP_OPS = new Set([
  'Add',
  'And',
  'ArgMax',
  'AveragePool',
  'BatchNormalization',
  'Cast',
  'Clip',
  'Concat',
  'Conv',
  'ConvTranspose',
  'Div',
  'Equal',
  'Erf',
  'Exp',
  'Expand',
  'Flatten',
  'Gather',
  'Gemm',
  'Greater',
  'LeakyRelu',
  'Less',
  'LogSoftmax',
  'MatMul',
  'MaxPool',
  'Mul',
  'Neg',
  'Pad',
  'Pow',
  'Reciprocal',
  'ReduceMean',
  'ReduceSum',
  'ReduceSumSquare',
  'Relu',
  'Reshape',
  'Resize',
  'Scan',
  'Shape',
  'Sigmoid',
  'Slice',
  'Softmax',
  'Sqrt',
  'Sub',
  'Tanh',
  'Transpose',
  'Unsqueeze',
  'Where',
]);

/** Every layer type, plain/grouped/depthwise/strided convolutions, padded pools, and a graph with add and concat. */
const SPECS: ModelSpecInput[] = [
  {
    inputShape: [8, 8, 4],
    layers: [
      { type: 'conv2d', name: 'c1', filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' },
      { type: 'conv2d', name: 'c2', filters: 8, kernelSize: 3, padding: [1, 1], groups: 8, activation: 'relu6' },
      { type: 'conv2d', name: 'c3', filters: 8, kernelSize: 3, padding: 'same', groups: 2, strides: 2, activation: 'leakyRelu' },
      { type: 'batchNorm', name: 'bn' },
      { type: 'maxPool2d', name: 'mp', poolSize: 2, padding: 'same' },
      { type: 'avgPool2d', name: 'ap', poolSize: 2, padding: 'same', strides: 1 },
      { type: 'activation', name: 'a1', activation: 'gelu' },
      { type: 'activation', name: 'a2', activation: 'sigmoid' },
      { type: 'activation', name: 'a3', activation: 'tanh' },
      { type: 'flatten', name: 'f' },
      { type: 'dropout', name: 'd', rate: 0.2 },
      { type: 'dense', name: 'h', units: 10, activation: 'softmax' },
    ],
  },
  {
    inputShape: [8, 8, 3],
    layers: [
      { type: 'conv2d', name: 'a', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' },
      { type: 'conv2d', name: 'b', filters: 4, kernelSize: 3, padding: 'same', inputs: ['a'] },
      { type: 'add', name: 'sum', inputs: ['a', 'b'] },
      { type: 'concat', name: 'cat', inputs: ['sum', 'a'] },
      { type: 'globalAvgPool2d', name: 'g' },
      { type: 'dense', name: 'h', units: 3, activation: 'softmax' },
    ],
  },
  {
    inputShape: [5],
    layers: [
      { type: 'dense', name: 'e', units: 3, activation: 'relu' },
      { type: 'dense', name: 'o', units: 5 },
    ],
  },
];

const OPTIMIZERS: OptimizerConfig[] = [{ type: 'sgd', momentum: 0.9, nesterov: true }, { type: 'adam' }, { type: 'adamw' }];

/** Op types of `nodes` and of the subgraphs they hold (a Scan's body), each with where it was met. */
function opTypes(nodes: readonly NodeProto[], where: string, into = new Map<string, string>()): Map<string, string> {
  for (const node of nodes) {
    if (!into.has(node.opType!)) into.set(node.opType!, where);
    for (const attribute of node.attribute ?? []) if (attribute.g?.node) opTypes(attribute.g.node, `${where} (${node.opType} body)`, into);
  }
  return into;
}

test('every op of the train-step, multi-step, evaluation and prediction graphs runs on the CUDA execution provider', () => {
  const used = new Map<string, string>();
  for (const input of SPECS) {
    const spec = validateSpec(input);
    const params = parameterShapes(spec);
    const trained = params.filter((p) => p.role !== 'statistic').map((p) => p.name);
    const loss = spec.inputShape.length === 1 ? 'mse' : 'softmaxCrossEntropy';
    for (const optimizer of OPTIMIZERS) {
      const options: TrainerOptions = {
        trainable: trained,
        groups: [{ name: 'all', params: trained, lr: 0.01, weightDecay: 0.01 }],
        optimizer,
        loss,
      };
      const train = buildTrainGraph({
        spec,
        params,
        plan: planTraining(spec, options, params),
        optimizer,
        loss,
        l2sp: { weight: 0.1, reference: new Map() },
      });
      opTypes(train.model.graph!.node!, `train step (${optimizer.type})`, used);
      opTypes(buildMultiStepGraph(train).model.graph!.node!, `multi-step (${optimizer.type})`, used);
    }
    opTypes(buildEvalGraph(spec, loss).graph!.node!, 'evaluation', used);
    opTypes(buildPredictGraph(spec).graph!.node!, 'prediction', used);
  }
  const missing = [...used].filter(([op]) => !CUDA_EP_OPS.has(op)).map(([op, where]) => `${op} (${where})`);
  expect(missing).toEqual([]);
  // The list holds what is used, so docs/gpu.md's table stays exact.
  expect([...CUDA_EP_OPS].filter((op) => !used.has(op))).toEqual([]);
});
