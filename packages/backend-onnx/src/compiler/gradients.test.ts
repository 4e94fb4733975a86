import { describe, it } from 'vitest';
import { checkGradients } from '../__fixtures__/gradient-check.js';

const dense = (name: string, units: number, activation = 'linear') => ({
  type: 'dense' as const,
  name,
  units,
  activation: activation as 'linear',
});

describe('gradient rules against central finite differences (float64 reference)', () => {
  it('dense (Gemm with bias) and mse, including the input', async () => {
    await checkGradients({ inputShape: [4], layers: [dense('d1', 3)] }, { wrt: ['d1.kernel', 'd1.bias', 'x'] });
  });

  it('dense without bias, two layers', async () => {
    await checkGradients({ inputShape: [4], layers: [{ ...dense('d1', 5), useBias: false }, dense('d2', 2)] });
  });

  it('softmax cross-entropy from logits', async () => {
    await checkGradients({ inputShape: [4], layers: [dense('d1', 3, 'softmax')] }, { loss: 'softmaxCrossEntropy', n: 4 });
  });

  for (const activation of ['relu', 'leakyRelu', 'sigmoid', 'tanh', 'gelu', 'softmax']) {
    it(`${activation}`, async () => {
      await checkGradients(
        { inputShape: [4], layers: [dense('d1', 5, activation), dense('d2', 2)] },
        { wrt: ['d1.kernel', 'd1.bias', 'x'] },
      );
    });
  }
});
