import { defaultModelSpec, parameterShapes, planTraining } from '@headstart/core';
const m = await import('../../packages/backend-onnx/dist/train-graph.js');
const spec = defaultModelSpec([8, 8, 1], 10);
const opts = { trainable: ['head.kernel', 'head.bias'], groups: [{ name: 'all', params: ['head.kernel', 'head.bias'], lr: 0.01 }], optimizer: { type: 'adam' }, loss: 'softmaxCrossEntropy' };
const params = parameterShapes(spec);
const g = m.buildTrainGraph({ spec, params, plan: planTraining(spec, opts, params), optimizer: opts.optimizer, loss: opts.loss });
console.log(g.model.graph.node.length, g.model.graph.node.map(n => n.opType).join(' '));
