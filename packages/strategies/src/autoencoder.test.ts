import { defaultModelSpec, validateSpec } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { autoencoderSpec } from './autoencoder.js';
import { encoderBlocks } from './encoder-blocks.js';
import { splitAtHead } from './head.js';

const cnnEncoder = splitAtHead(defaultModelSpec([8, 8, 1], 5)).base!;
const mlpEncoder = splitAtHead(defaultModelSpec([64], 5)).base!;

describe('autoencoderSpec', () => {
  test("mirrors the encoder: a hidden layer as wide as the last dense layer's input, then one linear unit per input value", () => {
    const { spec, decoderLayers } = autoencoderSpec(mlpEncoder, { hidden: true });
    expect(spec.layers.slice(2)).toEqual([
      { type: 'dense', name: 'decoder_hidden', units: 128, activation: 'relu', useBias: true },
      { type: 'dense', name: 'decoder_out', units: 64, activation: 'linear', useBias: true },
    ]);
    expect(decoderLayers).toEqual(['decoder_hidden', 'decoder_out']);
  });

  test('flattens a code that is not flat, and has nothing to mirror under a single layer', () => {
    const conv1 = encoderBlocks(cnnEncoder)[0]!.spec;
    const { spec, decoderLayers } = autoencoderSpec(conv1, { hidden: true });
    expect(decoderLayers).toEqual(['decoder_flatten', 'decoder_out']);
    expect(spec.layers.at(-1)).toMatchObject({ units: 64 });
  });

  test('never takes a layer name the encoder or the reserved list uses', () => {
    const encoder = validateSpec({ inputShape: [4], layers: [{ type: 'dense', name: 'decoder_out', units: 3 }] });
    expect(autoencoderSpec(encoder, { hidden: false, reserved: ['decoder_out_2'] }).decoderLayers).toEqual(['decoder_out_3']);
  });
});

describe('encoderBlocks', () => {
  test('cuts before each dense/conv layer; pooling and flatten ride with the block before them', () => {
    const blocks = encoderBlocks(cnnEncoder);
    expect(
      blocks.map((b) => [b.phase, b.below?.layers.map((l) => l.name) ?? [], b.spec.layers.map((l) => l.name), b.spec.inputShape]),
    ).toEqual([
      ['pretrain-conv1', [], ['conv1', 'pool1'], [8, 8, 1]],
      ['pretrain-conv2', ['conv1', 'pool1'], ['conv2', 'pool2', 'flatten'], [4, 4, 16]],
      ['pretrain-enc1', ['conv1', 'pool1', 'conv2', 'pool2', 'flatten'], ['enc1'], [128]],
    ]);
  });

  test('refuses an encoder without a dense or conv layer', () => {
    const encoder = validateSpec({ inputShape: [8, 8, 1], layers: [{ type: 'flatten', name: 'flat' }] });
    expect(() => encoderBlocks(encoder)).toThrow('greedy pre-training needs a dense or conv2d layer below the head; the encoder has none');
  });
});
