import { finiteDifferenceGradients, meanLoss, referenceForward, type ForwardMode, type Weights64 } from '@headstart/conformance/reference';
import { inferShapes, MODEL_INPUT, type Batch, type LossKind, type Model, type ModelSpec } from '@headstart/core';

/**
 * The float64 forward pass of a graph spec, composed node by node from the conformance reference:
 * each single-input layer is run by `referenceForward` as a one-layer spec on its input's shape;
 * `add` sums and `concat` joins along the last axis. (The reference itself runs chains only.)
 */
export function graphReference(spec: ModelSpec, weights: Weights64, x: ArrayLike<number>, n: number, mode: ForwardMode): Float64Array {
  const values = new Map<string, Float64Array>([[MODEL_INPUT, Float64Array.from(x)]]);
  const last = spec.layers[spec.layers.length - 1]!.name;
  for (const { layer, inputs, inputShapes } of inferShapes(spec)) {
    const ins = inputs.map((name) => values.get(name)!);
    if (layer.type === 'add') values.set(layer.name, ins[0]!.map((_, i) => ins.reduce((sum, v) => sum + v[i]!, 0)));
    else if (layer.type === 'concat') values.set(layer.name, concatLast(ins, inputShapes.map((s) => s[s.length - 1]!)));
    else {
      const { inputs: _, ...alone } = layer;
      const one = { inputShape: inputShapes[0]!, layers: [alone] } as ModelSpec;
      values.set(layer.name, referenceForward(one, weights, ins[0]!, n, { ...mode, logits: layer.name === last && mode.logits }).output);
    }
  }
  return values.get(last)!;
}

function concatLast(parts: Float64Array[], channels: number[]): Float64Array {
  const total = channels.reduce((a, b) => a + b, 0);
  const rows = parts[0]!.length / channels[0]!;
  const out = new Float64Array(rows * total);
  for (let r = 0; r < rows; r++) {
    let offset = 0;
    parts.forEach((part, p) => {
      out.set(part.subarray(r * channels[p]!, (r + 1) * channels[p]!), r * total + offset);
      offset += channels[p]!;
    });
  }
  return out;
}

/** Gradients of the mean loss by central differences of {@link graphReference} (training mode, no dropout). */
export function referenceGradients(spec: ModelSpec, weights: Weights64, batch: Batch, loss: LossKind, names: string[]): Map<string, Float64Array> {
  const objective = (): number => meanLoss(loss, graphReference(spec, weights, batch.x, batch.size, { training: true, logits: true }), batch);
  return finiteDifferenceGradients(objective, weights, names);
}

/**
 * The gradients a backend's trainer computes, read off one plain SGD step with learning rate 1:
 * `before − after`. The model's weights are restored afterwards.
 */
export async function trainerGradients(model: Model, batch: Batch, loss: LossKind, names: string[]): Promise<Map<string, Float64Array>> {
  const before = await model.getWeights();
  const trainer = model.trainer({ trainable: names, groups: [{ name: 'all', params: names, lr: 1 }], optimizer: { type: 'sgd' }, loss });
  await trainer.step(batch, 1);
  trainer.dispose();
  const after = await model.getWeights();
  await model.setWeights(before);
  return new Map(names.map((name) => [name, Float64Array.from(before.get(name)!.data, (v, i) => v - after.get(name)!.data[i]!)]));
}
