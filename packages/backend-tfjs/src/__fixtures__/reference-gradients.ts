import { finiteDifferenceGradients, meanLoss, referenceForward, type Weights64 } from '@headstart/conformance/reference';
import { type Batch, type LossKind, type Model, type ModelSpec } from '@headstart/core';

/** Gradients of the mean loss by central differences of the conformance reference's forward pass (training mode, no dropout). */
export function referenceGradients(spec: ModelSpec, weights: Weights64, batch: Batch, loss: LossKind, names: string[]): Map<string, Float64Array> {
  const objective = (): number => meanLoss(loss, referenceForward(spec, weights, batch.x, batch.size, { training: true, logits: true }).output, batch);
  return finiteDifferenceGradients(objective, weights, names);
}

/**
 * The gradients a backend's trainer computes, read off one plain SGD step with learning rate 1:
 * `before − after`. The model's weights are restored afterwards.
 */
export async function trainerGradients(model: Model, batch: Batch, loss: LossKind, names: string[]): Promise<Map<string, Float64Array>> {
  const before = await model.getWeights();
  const trainer = model.trainer({ trainable: names, groups: [{ name: 'all', params: names, lr: 1 }], optimizer: { type: 'sgd' }, loss });
  await trainer.step(batch);
  trainer.dispose();
  const after = await model.getWeights();
  await model.setWeights(before);
  return new Map(names.map((name) => [name, Float64Array.from(before.get(name)!.data, (v, i) => v - after.get(name)!.data[i]!)]));
}
