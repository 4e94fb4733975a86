import { HeadstartError, type Batch, type BatchTransform, type Rng } from '@headstart/core';

/**
 * mixup (Zhang et al., 2018) as a batch transform: each training batch becomes
 * `λ·x + (1 − λ)·x[perm]` with soft labels `λ·y + (1 − λ)·y[perm]`, one `λ ~ Beta(α, α)` and one
 * random permutation per batch, as timm's `Mixup` (batch mode) and the paper's reference code do.
 * Its draws come from the batch's seeded generator, so a resumed run mixes every batch the same.
 * @param alpha Beta's α (> 0); 0.2–0.4 is usual for images, larger mixes harder.
 * @param classes the classifier's class count (the soft labels' width).
 */
export function mixupTransform(alpha: number, classes: number): BatchTransform {
  return {
    name: `mixup alpha=${alpha}`,
    apply(batch, rng) {
      if (!batch.labels) throw new HeadstartError('USAGE', 'mixup: the batch has no class labels to mix; mixup is for classifiers');
      const lambda = sampleBeta(alpha, rng);
      const perm = permutation(batch.size, rng);
      const width = batch.x.length / batch.size;
      const x = new Float32Array(batch.x.length);
      const targets = new Float32Array(batch.size * classes);
      for (let i = 0; i < batch.size; i++) {
        const j = perm[i]!;
        for (let k = 0; k < width; k++) x[i * width + k] = lambda * batch.x[i * width + k]! + (1 - lambda) * batch.x[j * width + k]!;
        targets[i * classes + batch.labels[i]!]! += lambda;
        targets[i * classes + batch.labels[j]!]! += 1 - lambda;
      }
      const mixed: Batch = { x, size: batch.size, labels: batch.labels, targets };
      return batch.teacher ? { ...mixed, teacher: batch.teacher } : mixed;
    },
  };
}

/** A Beta(α, α) draw: `G₁ / (G₁ + G₂)` of two Gamma(α) draws. */
export function sampleBeta(alpha: number, rng: Rng): number {
  const a = sampleGamma(alpha, rng);
  const b = sampleGamma(alpha, rng);
  return a + b > 0 ? a / (a + b) : 0.5;
}

/** A Gamma(α, 1) draw (Marsaglia and Tsang, 2000); for α < 1, `Gamma(α + 1)·U^(1/α)`. */
function sampleGamma(alpha: number, rng: Rng): number {
  if (alpha < 1) return sampleGamma(alpha + 1, rng) * (1 - rng.next()) ** (1 / alpha);
  const d = alpha - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = rng.normal();
    const v = (1 + c * z) ** 3;
    if (v <= 0) continue;
    const u = 1 - rng.next();
    if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** A uniform random permutation of `0..n-1` (Fisher–Yates). */
function permutation(n: number, rng: Rng): Int32Array {
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  return perm;
}
