import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../backend.js';
import { IGNORE_TOKEN } from '../backend-kit/token-targets.js';
import type { TokenizerPreprocessing } from '../checkpoint/manifest.js';
import { batchRng } from '../train/batch-transform.js';
import { createRng } from '../rng.js';
import { maskingTokens, maskingTransform, maskTokens } from './mask-tokens.js';

const VOCAB = 50;
const SPECIALS = { maskId: 4, specialIds: [0, 1, 2, 3, 4], vocabSize: VOCAB };

/** `rows` sequences of 32: [CLS] ids in 5..49 [SEP], then padding (id 0, mask 0) after a seeded length. */
function corpus(rows: number, seed: number): { ids: Int32Array; mask: Int32Array } {
  const rng = createRng(seed);
  const ids = new Int32Array(rows * 32);
  const mask = new Int32Array(rows * 32);
  for (let r = 0; r < rows; r++) {
    const length = 3 + rng.int(30);
    for (let t = 0; t < length; t++) {
      ids[r * 32 + t] = t === 0 ? 2 : t === length - 1 ? 3 : 5 + rng.int(VOCAB - 5);
      mask[r * 32 + t] = 1;
    }
  }
  return { ids, mask };
}

describe('maskTokens', () => {
  const { ids, mask } = corpus(8000, 1);
  const { inputIds, tokenLabels } = maskTokens(ids, mask, SPECIALS, createRng(7));
  const eligible = [...ids.keys()].filter((i) => mask[i] === 1 && ids[i]! >= 5);
  const chosen = eligible.filter((i) => tokenLabels[i] !== IGNORE_TOKEN);

  it('chooses 15% of the real, non-special positions, then 80% [MASK], 10% random, 10% unchanged', () => {
    // ~135 000 eligible positions: 4 standard deviations of each share are under 0.004.
    expect(eligible.length).toBeGreaterThan(100_000);
    expect(Math.abs(chosen.length / eligible.length - 0.15)).toBeLessThan(0.004);
    const masked = chosen.filter((i) => inputIds[i] === 4).length / chosen.length;
    const same = chosen.filter((i) => inputIds[i] === ids[i]).length / chosen.length;
    // A random id equal to the original counts as unchanged: 10% + 10%/50 of the chosen.
    expect(Math.abs(masked - 0.8 - 0.1 / VOCAB)).toBeLessThan(0.01);
    expect(Math.abs(same - 0.1 - 0.1 / VOCAB)).toBeLessThan(0.01);
    const random = chosen.filter((i) => inputIds[i] !== 4 && inputIds[i] !== ids[i]).map((i) => inputIds[i]!);
    expect(Math.min(...random)).toBe(0);
    expect(Math.max(...random)).toBe(VOCAB - 1);
  });

  it('labels the chosen positions with their original id and ignores the rest, whose ids stay', () => {
    expect(chosen.filter((i) => tokenLabels[i] !== ids[i])).toEqual([]);
    const other = [...ids.keys()].filter((i) => tokenLabels[i] === IGNORE_TOKEN);
    expect(other.length + chosen.length).toBe(ids.length);
    expect(other.every((i) => inputIds[i] === ids[i])).toBe(true);
  });

  it('never chooses padding or a special token, and changes neither its inputs', () => {
    const before = Int32Array.from(ids);
    const again = maskTokens(ids, mask, SPECIALS, createRng(8));
    expect(ids.every((id, i) => id === before[i])).toBe(true);
    const never = [...ids.keys()].filter((i) => mask[i] === 0 || ids[i]! < 5);
    expect(never.length).toBeGreaterThan(100_000);
    expect(never.filter((i) => tokenLabels[i] !== IGNORE_TOKEN || again.tokenLabels[i] !== IGNORE_TOKEN)).toEqual([]);
    const all = maskTokens(ids, mask, { ...SPECIALS, rate: 1 }, createRng(9));
    const labelled = [...all.tokenLabels.keys()].filter((i) => all.tokenLabels[i] !== IGNORE_TOKEN);
    expect(labelled.length === eligible.length && labelled.every((i, k) => i === eligible[k])).toBe(true);
  });

  it('masks the same way from the same generator state, and differently from another', () => {
    const rng = createRng(7);
    rng.next();
    const saved = rng.state();
    const first = maskTokens(ids.subarray(0, 3200), mask.subarray(0, 3200), SPECIALS, rng);
    const resumed = createRng(0);
    resumed.setState(saved);
    expect(maskTokens(ids.subarray(0, 3200), mask.subarray(0, 3200), SPECIALS, resumed)).toEqual(first);
    expect(maskTokens(ids.subarray(0, 3200), mask.subarray(0, 3200), SPECIALS, createRng(11)).tokenLabels).not.toEqual(first.tokenLabels);
  });

  it('refuses a rate outside (0, 1]', () => {
    expect(() => maskTokens(ids, mask, { ...SPECIALS, rate: 0 }, createRng(1))).toThrow('masking rate must be in (0, 1], got 0');
  });
});

describe('maskingTransform', () => {
  const { ids, mask } = corpus(16, 3);
  const batch: Batch = { x: new Float32Array(0), size: 16, inputs: { input_ids: ids, attention_mask: mask }, labels: new Int32Array(16) };
  const transform = maskingTransform(SPECIALS);

  it('gives a batch the masked ids and token labels, drops class labels, and repeats itself for the same batch of a resumed run', () => {
    const out = transform.apply({ ...batch, sampleShape: [32] }, batchRng(42, 'pretrain', 2, 5));
    expect(out.labels).toBeUndefined();
    expect(out.inputs!.attention_mask).toBe(mask);
    expect(out.tokenLabels!.some((id) => id !== IGNORE_TOKEN)).toBe(true);
    expect(out).toEqual(transform.apply({ ...batch, sampleShape: [32] }, batchRng(42, 'pretrain', 2, 5)));
    expect(out.tokenLabels).not.toEqual(transform.apply({ ...batch, sampleShape: [32] }, batchRng(42, 'pretrain', 2, 6)).tokenLabels);
    expect(transform.name).toBe('mask tokens 15%');
  });

  it('refuses a batch without int32 token ids', () => {
    expect(() => transform.apply({ x: new Float32Array(4), size: 1, sampleShape: [4] }, createRng(1))).toThrow(
      'masking tokens needs int32 batch inputs "input_ids" and "attention_mask"',
    );
  });
});

describe('maskingTokens', () => {
  const tokenizer = (addedTokens: object[], padId = 0): TokenizerPreprocessing => {
    const json = JSON.stringify({ added_tokens: addedTokens, model: { type: 'WordPiece', vocab: {} } });
    return {
      kind: 'tokenizer',
      sha256: createHash('sha256').update(json).digest('hex'),
      maxLength: 8,
      padId,
      vocabSize: 30,
      textColumn: 'text',
      json,
    };
  };
  const special = (id: number, content: string) => ({ id, content, special: true });

  it('reads the mask id and the special ids from the tokenizer.json (BERT, RoBERTa)', () => {
    const bert = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((t, i) => special(i, t));
    expect(maskingTokens(tokenizer(bert))).toEqual({ maskId: 4, specialIds: [0, 1, 2, 3, 4], vocabSize: 30 });
    const roberta = ['<s>', '<pad>', '</s>', '<unk>', '<mask>'].map((t, i) => special(i, t));
    expect(maskingTokens(tokenizer([...roberta, { id: 9, content: 'hello', special: false }], 1)).specialIds).toEqual([0, 1, 2, 3, 4]);
  });

  it('refuses a tokenizer without a mask token in one line', () => {
    expect(() => maskingTokens(tokenizer([special(0, '[PAD]'), special(1, '[UNK]')]))).toThrow(
      "masked-language modelling needs a mask token ([MASK] or <mask>) among the tokenizer's added_tokens; this tokenizer has [PAD], [UNK]",
    );
  });
});
