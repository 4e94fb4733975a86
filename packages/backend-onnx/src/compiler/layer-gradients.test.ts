import { describe, it } from 'vitest';
import { checkGradients } from '../__fixtures__/gradient-check.js';

const head = { type: 'dense' as const, name: 'head', units: 3 };
const flatten = { type: 'flatten' as const, name: 'flat' };

describe('image layer gradients against central finite differences', () => {
  it('conv2d valid, stride 1, then flatten (channels-last order)', async () => {
    await checkGradients(
      { inputShape: [5, 5, 2], layers: [{ type: 'conv2d', name: 'c', filters: 3, kernelSize: 3 }, flatten, head] },
      { wrt: ['c.kernel', 'c.bias', 'head.kernel', 'x'] },
    );
  });

  it('conv2d same padding with stride 2 and an even kernel', async () => {
    await checkGradients(
      {
        inputShape: [6, 5, 2],
        layers: [{ type: 'conv2d', name: 'c', filters: 2, kernelSize: [2, 3], strides: 2, padding: 'same' }, flatten, head],
      },
      { wrt: ['c.kernel', 'c.bias', 'x'] },
    );
  });

  it('conv2d valid with a stride that does not divide the input', async () => {
    await checkGradients(
      {
        inputShape: [7, 6, 1],
        layers: [{ type: 'conv2d', name: 'c', filters: 2, kernelSize: 3, strides: 2, useBias: false, activation: 'relu' }, flatten, head],
      },
      { wrt: ['c.kernel', 'x'] },
    );
  });

  it('maxPool2d tiling (square with a cropped edge, non-square) and overlapping same', async () => {
    await checkGradients(
      { inputShape: [4, 4, 2], layers: [{ type: 'maxPool2d', name: 'p' }, flatten, head] },
      { wrt: ['x', 'head.kernel'] },
    );
    await checkGradients(
      { inputShape: [5, 7, 2], layers: [{ type: 'maxPool2d', name: 'p', poolSize: [2, 3] }, flatten, head] },
      { wrt: ['x'] },
    );
    await checkGradients({ inputShape: [7, 6, 2], layers: [{ type: 'maxPool2d', name: 'p', poolSize: 3 }, flatten, head] }, { wrt: ['x'] });
    await checkGradients(
      { inputShape: [5, 5, 1], layers: [{ type: 'maxPool2d', name: 'p', poolSize: 2, strides: 1 }, flatten, head] },
      { wrt: ['x'] },
    );
    await checkGradients(
      { inputShape: [5, 5, 2], layers: [{ type: 'maxPool2d', name: 'p', poolSize: 3, strides: 2, padding: 'same' }, flatten, head] },
      { wrt: ['x'] },
    );
  });

  it('avgPool2d valid and same (padding excluded from the average)', async () => {
    await checkGradients({ inputShape: [4, 6, 2], layers: [{ type: 'avgPool2d', name: 'p' }, flatten, head] }, { wrt: ['x'] });
    await checkGradients(
      { inputShape: [5, 5, 1], layers: [{ type: 'avgPool2d', name: 'p', poolSize: 3, strides: 2, padding: 'same' }, flatten, head] },
      { wrt: ['x'] },
    );
  });

  it('globalAvgPool2d', async () => {
    await checkGradients(
      {
        inputShape: [3, 4, 2],
        layers: [{ type: 'conv2d', name: 'c', filters: 3, kernelSize: 2 }, { type: 'globalAvgPool2d', name: 'g' }, head],
      },
      { wrt: ['c.kernel', 'c.bias', 'x'] },
    );
  });

  it('batchNorm in training mode on images and on flat values', async () => {
    await checkGradients(
      { inputShape: [3, 3, 2], layers: [{ type: 'batchNorm', name: 'bn' }, flatten, head] },
      { wrt: ['bn.gamma', 'bn.beta', 'x'], n: 4 },
    );
    await checkGradients(
      { inputShape: [4], layers: [{ type: 'dense', name: 'd', units: 3 }, { type: 'batchNorm', name: 'bn' }, head] },
      { n: 5 },
    );
    // 1×1 maps take the broadcasting Sub/Mul path instead of the BatchNormalization kernel.
    await checkGradients({ inputShape: [1, 1, 3], layers: [{ type: 'batchNorm', name: 'bn' }, flatten, head] }, { n: 4 });
  });

  it('batchNorm frozen (inference mode) with trainable gamma and beta', async () => {
    await checkGradients(
      { inputShape: [3, 3, 2], layers: [{ type: 'batchNorm', name: 'bn' }, flatten, head] },
      { wrt: ['bn.gamma', 'bn.beta', 'x'], frozenBatchNorm: ['bn'] },
    );
  });

  it('dropout with a fixed mask, on flat values and on images', async () => {
    await checkGradients(
      { inputShape: [4], layers: [{ type: 'dense', name: 'd', units: 6 }, { type: 'dropout', name: 'drop', rate: 0.5 }, head] },
      { dropout: [{ layer: 'drop', rate: 0.5 }], wrt: ['d.kernel', 'x'] },
    );
    await checkGradients(
      {
        inputShape: [3, 3, 2],
        layers: [{ type: 'conv2d', name: 'c', filters: 2, kernelSize: 2 }, { type: 'dropout', name: 'drop', rate: 0.3 }, flatten, head],
      },
      { dropout: [{ layer: 'drop', rate: 0.3 }], wrt: ['c.kernel'] },
    );
  });

  it('conv2d with a softmax over channels and an image output (mse on NHWC targets)', async () => {
    await checkGradients(
      {
        inputShape: [3, 3, 2],
        layers: [
          { type: 'conv2d', name: 'c', filters: 3, kernelSize: 2, activation: 'tanh' },
          { type: 'conv2d', name: 'c2', filters: 2, kernelSize: 1 },
        ],
      },
      { wrt: ['c.kernel', 'c2.kernel', 'x'] },
    );
  });
});

describe('grouped, depthwise and explicitly padded windows', () => {
  it('grouped conv2d (2 groups, 2 filters per group), stride 2, explicit pads', async () => {
    await checkGradients(
      {
        inputShape: [6, 5, 4],
        layers: [{ type: 'conv2d', name: 'c', filters: 4, kernelSize: 3, strides: 2, padding: [1, 0, 2, 1], groups: 2 }, flatten, head],
      },
      { wrt: ['c.kernel', 'c.bias', 'x'] },
    );
  });

  it('depthwise conv2d with a channel multiplier of 2 and of 1, padding 1, relu6', async () => {
    await checkGradients(
      {
        inputShape: [5, 5, 3],
        layers: [{ type: 'conv2d', name: 'c', filters: 6, kernelSize: 3, padding: 1, groups: 3, activation: 'relu6' }, flatten, head],
      },
      { wrt: ['c.kernel', 'c.bias', 'x'], seed: 3 },
    );
    await checkGradients(
      {
        inputShape: [6, 6, 3],
        layers: [
          { type: 'conv2d', name: 'c', filters: 3, kernelSize: 3, strides: 2, padding: 1, groups: 3, useBias: false },
          flatten,
          head,
        ],
      },
      { wrt: ['c.kernel', 'x'] },
    );
  });

  it('conv2d with PyTorch-style padding 3 and stride 2 (a ResNet stem), and asymmetric pads', async () => {
    await checkGradients(
      { inputShape: [7, 7, 2], layers: [{ type: 'conv2d', name: 'c', filters: 2, kernelSize: 7, strides: 2, padding: 3 }, flatten, head] },
      { wrt: ['c.kernel', 'c.bias', 'x'] },
    );
    await checkGradients(
      {
        inputShape: [5, 4, 1],
        layers: [{ type: 'conv2d', name: 'c', filters: 2, kernelSize: [2, 3], padding: [0, 2, 1, 0] }, flatten, head],
      },
      { wrt: ['c.kernel', 'x'] },
    );
  });

  it('maxPool2d with padding 1, stride 2 (a ResNet stem pool)', async () => {
    await checkGradients(
      { inputShape: [6, 6, 2], layers: [{ type: 'maxPool2d', name: 'p', poolSize: 3, strides: 2, padding: 1 }, flatten, head] },
      { wrt: ['x'] },
    );
  });

  it('avgPool2d with explicit pads, counting the pads and not', async () => {
    for (const countIncludePad of [true, false]) {
      await checkGradients(
        {
          inputShape: [5, 6, 2],
          layers: [{ type: 'avgPool2d', name: 'p', poolSize: 3, strides: 2, padding: [1, 1, 0, 1], countIncludePad }, flatten, head],
        },
        { wrt: ['x'] },
      );
    }
  });
});
