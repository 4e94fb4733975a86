import ort from 'onnxruntime-node';
import { defaultModelSpec, parameterShapes, planTraining } from '@headstart/core';
const m = await import('../../packages/backend-onnx/dist/train-graph.js');
const { buildMultiStepGraph } = await import('../../packages/backend-onnx/dist/multi-step-graph.js');
const { encodeModel } = await import('../../packages/backend-onnx/dist/onnx-proto.js');
for (const [label, spec] of [['mlp64', defaultModelSpec([64], 10)], ['cnn8x8', defaultModelSpec([8, 8, 1], 10)]]) {
  const params = parameterShapes(spec);
  const names = params.filter(p => p.role !== 'statistic').map(p => p.name);
  const opts = { trainable: names, groups: [{ name: 'all', params: names, lr: 0.01 }], optimizer: { type: 'adam' }, loss: 'softmaxCrossEntropy' };
  const so = { graphOptimizationLevel: 'all', executionMode: 'sequential', intraOpNumThreads: 1, interOpNumThreads: 1, enableCpuMemArena: true, enableMemPattern: true };
  for (let r = 0; r < 3; r++) {
    let t = performance.now();
    const g = m.buildTrainGraph({ spec, params, plan: planTraining(spec, opts, params), optimizer: opts.optimizer, loss: opts.loss });
    const tb = performance.now() - t; t = performance.now();
    const s1 = await ort.InferenceSession.create(encodeModel(g.model), so);
    const ts = performance.now() - t; t = performance.now();
    const mg = buildMultiStepGraph(g);
    const tmb = performance.now() - t; t = performance.now();
    const s2 = await ort.InferenceSession.create(encodeModel(mg.model), so);
    const tms = performance.now() - t;
    console.log(label, `step graph build ${tb.toFixed(1)} ms, session ${ts.toFixed(1)} ms; multi build ${tmb.toFixed(1)} ms, session ${tms.toFixed(1)} ms`);
  }
}
