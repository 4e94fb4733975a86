import type { NamedTensors } from '@headstart/core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// tests/fixtures/torch/tiny_distilbert.py: a one-block DistilBERT-style classifier written in plain PyTorch.
const FIXTURE = join(import.meta.dirname, '..', '..', '..', '..', 'tests', 'fixtures', 'torch', 'tiny-distilbert.json');

/** A tensor as the fixture stores it. */
export interface TorchTensor {
  shape: number[];
  data: number[];
}

/** tests/fixtures/torch/tiny-distilbert.json: spec, weights, one batch and what PyTorch computes on it. */
export const torch = JSON.parse(readFileSync(FIXTURE, 'utf8')) as {
  spec: unknown;
  weights: Record<string, TorchTensor>;
  input_ids: number[];
  attention_mask: number[];
  labels: number[];
  probabilities: number[];
  loss: number;
  adam: { lr: number; loss_after: number; weights_after: Record<string, TorchTensor> };
};

/** The fixture's tensors as NamedTensors. */
export function tensors(record: Record<string, TorchTensor>): NamedTensors {
  return new Map(Object.entries(record).map(([name, t]) => [name, { shape: t.shape, data: Float32Array.from(t.data) }]));
}
