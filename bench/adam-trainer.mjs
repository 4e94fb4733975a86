// The trainer every bench script times: Adam at lr 1e-3 on softmax cross-entropy, one group, seed 1.

/** `model`'s trainer over `trainable` (default: every trainable parameter). */
export function adamTrainer(model, trainable = trainableNames(model)) {
  return model.trainer({
    trainable,
    groups: [{ name: 'all', params: trainable, lr: 1e-3 }],
    optimizer: { type: 'adam' },
    loss: 'softmaxCrossEntropy',
    seed: 1,
  });
}

function trainableNames(model) {
  return model
    .parameters()
    .filter((p) => p.trainable)
    .map((p) => p.name);
}
