import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../graph-builder.js';
import { Tape } from '../tape.js';
import { batchNormTraining } from './batch-norm.js';

// Its values are checked against finite differences (layer- and graph-gradient tests) and the float64
// reference (conformance); this pins the cost: batch norm was ≈ 30 % of mobilenet_v2's step, in
// element-wise passes over full-size tensors (the textbook form took 5 forward and 11 backward, the
// broadcasting Sub/Mul/Add form 4 and 5; onnxruntime's inference BatchNormalization folds a per-channel
// multiply and add into one pass).
describe('training-mode batch norm', () => {
  it('passes over the full-size tensors 2 times forward and 4 times backward (element-wise), 4 reductions', () => {
    const b = new GraphBuilder('bn');
    const tape = new Tape();
    const x = b.input('x', ['N', 8, 5, 5]);
    const [gamma, beta] = [b.input('gamma', [8]), b.input('beta', [8])];
    for (const v of [x, gamma, beta]) tape.watch(v);
    const ctx = { b, tape };
    const { y } = batchNormTraining(ctx, x, { gamma, beta, movingMean: gamma, movingVariance: beta, epsilon: 1e-5 });
    const forward = b.toModel('t').graph!.node!.length;
    tape.gradients(b, new Map([[y, b.input('dy', ['N', 8, 5, 5])]]), [x, gamma, beta]);
    const nodes = b.toModel('t').graph!.node!;
    const fullSize = (from: number, to: number, ops: string[]): number =>
      nodes
        .slice(from, to)
        .filter((n) => ops.includes(n.opType!) && b.shapeOf(n.output![0]!).length === 4 && b.shapeOf(n.output![0]!)[2] === 5).length;
    const elementwise = ['Add', 'Sub', 'Mul', 'Div', 'BatchNormalization'];
    expect(fullSize(0, forward, elementwise)).toBe(2);
    expect(fullSize(forward, nodes.length, elementwise)).toBe(4);
    expect(nodes.filter((n) => ['ReduceMean', 'ReduceSum', 'ReduceSumSquare'].includes(n.opType!))).toHaveLength(4);
  });
});
