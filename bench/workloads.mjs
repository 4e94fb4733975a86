// The benchmark workloads of issue 3: the same architectures the PyTorch reference (torch_bench.py) builds.

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

export const WORKLOADS = { mlp, cnn };
