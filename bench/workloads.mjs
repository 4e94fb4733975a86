// The benchmark workloads of issues 3 and 14: the same architectures the PyTorch reference (torch_bench.py) builds.
// `warmup`: untimed steps first (default 20); `minSeconds`: timed for at least that long whatever --seconds says
// (a resnet18 step takes most of a second here, so 3 s would be a handful of steps); `minSteps`: timed steps at
// least (default 2); `perBackend`: overrides for one backend (tfjs's pure-JS cpu engine takes 80–200 s a step of
// these networks and compiles nothing, so one warm-up step and one timed step).
import { mobilenetV2Spec, resnet18Spec } from './torchvision-specs.mjs';
import { tokenBatches, transformerSpec } from './transformer-spec.mjs';

/** 64-256-256-10 MLP, batch 64, Adam. */
export const mlp = {
  batch: 64,
  spec: {
    inputShape: [64],
    layers: [
      { type: 'dense', name: 'fc1', units: 256, activation: 'relu' },
      { type: 'dense', name: 'fc2', units: 256, activation: 'relu' },
      { type: 'dense', name: 'head', units: 10, activation: 'softmax' },
    ],
  },
};

/** 1×28×28 → conv16 3×3 → maxpool 2 → conv32 3×3 → maxpool 2 → dense 10, batch 64, Adam. */
export const cnn = {
  batch: 64,
  spec: {
    inputShape: [28, 28, 1],
    layers: [
      { type: 'conv2d', name: 'conv1', filters: 16, kernelSize: 3, activation: 'relu' },
      { type: 'maxPool2d', name: 'pool1', poolSize: 2 },
      { type: 'conv2d', name: 'conv2', filters: 32, kernelSize: 3, activation: 'relu' },
      { type: 'maxPool2d', name: 'pool2', poolSize: 2 },
      { type: 'flatten', name: 'flatten' },
      { type: 'dense', name: 'head', units: 10, activation: 'softmax' },
    ],
  },
};

const TFJS_SLOW = { warmup: 1, minSeconds: 0, minSteps: 1 };

/** torchvision `resnet18(num_classes=10)` on 3×32×32 inputs, batch 32, Adam (issue 14). */
export const resnet18 = {
  batch: 32,
  warmup: 3,
  minSeconds: 10,
  perBackend: { tfjs: TFJS_SLOW },
  spec: resnet18Spec({ classes: 10, size: 32 }),
};

/** torchvision `mobilenet_v2(num_classes=10)` on 3×32×32 inputs, batch 32, Adam (issue 14). */
export const mobilenet_v2 = {
  batch: 32,
  warmup: 3,
  minSeconds: 10,
  perBackend: { tfjs: TFJS_SLOW },
  spec: mobilenetV2Spec({ classes: 10, size: 32 }),
};

/**
 * A 4-block encoder, width 128, 4 heads, FFN 512, on 64 random tokens (vocab 1,000, padded to random lengths), masked
 * mean pooling, 10 classes, batch 32, Adam (issue 18; bench/transformer-spec.mjs). `batches`: the workload's own data
 * (named inputs: token ids and the attention mask) in place of random floats.
 */
export const transformer = {
  batch: 32,
  warmup: 5,
  minSeconds: 5,
  perBackend: { tfjs: TFJS_SLOW },
  spec: transformerSpec(),
  batches: tokenBatches,
};

export const WORKLOADS = { mlp, cnn, resnet18, mobilenet_v2, transformer };
