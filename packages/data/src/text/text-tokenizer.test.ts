import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { fixture, useTempDir } from '../__fixtures__/temp-dir.js';
import { readTokenizer, TextTokenizer } from './text-tokenizer.js';

const BERT = fixture('bert-tiny.tokenizer.json');
const ROBERTA = fixture('roberta-tiny.tokenizer.json');
const temp = useTempDir();

// Ids of bert-tiny: [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, the 5, cat 7, dog 8, sat 9, on 10, mat 11, is 12,
// good 13, not 17, very 18, hello 19, world 20, ##s 21, ##ing 22, un 25, ##believ 26, ##able 27, play 28, . 29, ! 31.
describe('a BERT WordPiece tokenizer.json', () => {
  it('gives the ids of known sentences: lowercased, accents stripped, [CLS] … [SEP], unknown words as [UNK]', async () => {
    const bert = await readTokenizer(BERT);
    expect(bert.encode('The cat sat on the mat.', 64)).toEqual([2, 5, 7, 9, 10, 5, 11, 29, 3]);
    expect(bert.encode('Unbelievable! The CATS are playing', 64)).toEqual([2, 25, 26, 27, 31, 5, 7, 21, 1, 28, 22, 3]);
    expect(bert.encode('Héllo wörld xyz', 64)).toEqual([2, 19, 20, 1, 3]);
    expect(bert.encode('', 64)).toEqual([2, 3]);
    expect([bert.vocabSize, bert.padId, bert.specialCount]).toEqual([34, 0, 2]);
  });

  it('gives the library’s own encoding when nothing is truncated', async () => {
    const bert = await readTokenizer(BERT);
    const library = new Tokenizer(JSON.parse(await readFile(BERT, 'utf8')), {});
    for (const text of ['the dog is not very good', 'Hello, world!', 'un un un playing played']) {
      expect(bert.encode(text, 512)).toEqual(library.encode(text).ids);
    }
  });

  it('truncates the text, not the special tokens, to the length', async () => {
    const bert = await readTokenizer(BERT);
    expect(bert.encode('The cat sat on the mat.', 6)).toEqual([2, 5, 7, 9, 10, 3]);
    expect(bert.encode('The cat sat on the mat.', 3)).toEqual([2, 5, 3]);
    expect(() => bert.encode('the cat', 2)).toThrow(`max length must be a whole number above 2 (the special tokens ${BERT} adds), got 2`);
  });

  it('truncates a long text to the same ids as tokenising it whole, for both kinds of tokenizer', async () => {
    const long = [
      'the cat sat on the mat. '.repeat(400),
      `${'x'.repeat(5000)} the cat`,
      `the dog!!!!!!!!!!!!!!!!!!!!!!!!!\n\n\nis good ${'hello, world! '.repeat(300)}`,
      `${'Unbelievable!\r\n'.repeat(200)}playing`,
    ];
    for (const file of [BERT, ROBERTA]) {
      const tokenizer = await readTokenizer(file);
      const library = new Tokenizer(JSON.parse(await readFile(file, 'utf8')), {});
      for (const text of long) {
        const whole = library.encode(text).ids;
        for (const length of [8, 100, 700]) {
          const truncated = whole.length <= length ? whole : [...whole.slice(0, length - 1), whole.at(-1)];
          expect(tokenizer.encode(text, length), `${file} ${length}`).toEqual(truncated);
        }
      }
    }
  });

  it('pads a row with [PAD] and a mask of 0 after the tokens', async () => {
    const bert = await readTokenizer(BERT);
    const ids = new Int32Array(2 * 10).fill(-1);
    const mask = new Int32Array(2 * 10).fill(-1);
    bert.encodeInto('the dog is not very good', 10, ids, mask, 0);
    bert.encodeInto('hello world', 10, ids, mask, 1);
    expect([...ids]).toEqual([2, 5, 8, 12, 17, 18, 13, 3, 0, 0, 2, 19, 20, 3, 0, 0, 0, 0, 0, 0]);
    expect([...mask]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
  });

  it('records itself for a checkpoint, and is made again from that record', async () => {
    const bert = await readTokenizer(BERT);
    const record = bert.preprocessing(16, 'review');
    expect(record).toEqual({
      kind: 'tokenizer',
      sha256: createHash('sha256')
        .update(await readFile(BERT))
        .digest('hex'),
      maxLength: 16,
      padId: 0,
      vocabSize: 34,
      textColumn: 'review',
      json: await readFile(BERT, 'utf8'),
    });
    const again = TextTokenizer.fromPreprocessing(record, 'model.safetensors');
    expect(again.encode('The cat sat on the mat.', 16)).toEqual(bert.encode('The cat sat on the mat.', 16));
  });
});

// Ids of roberta-tiny: <s> 0, <pad> 1, </s> 2, then the 256 byte symbols from 5, then merges: he 262, ll 270, o 116, Ġworld 278.
describe('a RoBERTa byte-level BPE tokenizer.json', () => {
  it('gives byte-level BPE ids between <s> and </s>, truncated before </s>, padded with <pad>', async () => {
    const roberta = await readTokenizer(ROBERTA);
    expect(roberta.encode('hello world', 64)).toEqual([0, 262, 270, 116, 278, 2]);
    expect(roberta.encode('hello world', 4)).toEqual([0, 262, 270, 2]);
    // é is two bytes, two symbols: Ã (5 + 195) and © (5 + 164, shifted by the symbols before it).
    expect(roberta.encode('é', 64)).toEqual([0, 200, 174, 2]);
    expect([roberta.padId, roberta.specialCount]).toEqual([1, 2]);
  });
});

/** The parts of bert-tiny.tokenizer.json the broken variants edit. */
type BertJson = Record<string, unknown> & { model: Record<string, unknown> & { vocab: Record<string, number> } };

describe('a tokenizer.json that cannot be read', () => {
  const broken = async (name: string, json: unknown) => temp.write(name, typeof json === 'string' ? json : JSON.stringify(json));
  const bert = async () => JSON.parse(await readFile(BERT, 'utf8')) as BertJson;

  it('says in one line which file and field is wrong', async () => {
    const cases: [string, (json: BertJson) => unknown, string][] = [
      ['not-json.json', () => '{"model": ', 'not valid JSON'],
      [
        'no-vocab.json',
        (json) => ({ ...json, model: { ...json.model, vocab: undefined } }),
        'model.vocab: expected an object of token → id, found nothing',
      ],
      [
        'bad-id.json',
        (json) => ({ ...json, model: { ...json.model, vocab: { ...json.model.vocab, cat: -1 } } }),
        'model.vocab["cat"]: expected a token id (an integer ≥ 0), found -1',
      ],
      [
        'word-level.json',
        (json) => ({ ...json, model: { ...json.model, type: 'WordLevel' } }),
        'model.type: expected WordPiece, BPE, Unigram, found "WordLevel"',
      ],
      [
        'no-merges.json',
        (json) => ({ ...json, model: { ...json.model, type: 'BPE' } }),
        'model.merges: expected a list of merges ("a b" or ["a", "b"]), found nothing',
      ],
      [
        'bad-normalizer.json',
        (json) => ({ ...json, normalizer: { type: 'Shout' } }),
        'normalizer: not a tokenizer @huggingface/tokenizers reads (Unknown Normalizer type: Shout)',
      ],
      [
        'bad-added.json',
        (json) => ({ ...json, added_tokens: [{ content: '[PAD]' }] }),
        'added_tokens[0]: expected {"id": <integer ≥ 0>, "content": <text>}, found {"content":"[PAD]"}',
      ],
      [
        'no-pad.json',
        (json) => ({ ...json, added_tokens: [], model: { ...json.model, vocab: { '[UNK]': 0, the: 1 } } }),
        'padding: no padding token ("padding.pad_token", "[PAD]" or "<pad>"); name one (padToken)',
      ],
    ];
    for (const [name, edit, problem] of cases) {
      const file = await broken(name, edit(await bert()));
      const error = await readTokenizer(file).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.name, name).toBe('DataError');
      expect(error?.message.split('\n'), name).toHaveLength(1);
      expect(error?.message.startsWith(`${file}: ${problem}`), `${name}: ${error?.message}`).toBe(true);
    }
  });

  it('names a missing file', async () => {
    const file = temp.path('absent.tokenizer.json');
    await expect(readTokenizer(file)).rejects.toThrow(`${file}: no such file or directory`);
  });

  it('pads with a named token when the tokenizer has no padding token of its own', async () => {
    const json = await bert();
    const file = await broken('eos-pad.json', {
      ...json,
      added_tokens: [],
      model: { ...json.model, vocab: { '[UNK]': 0, the: 1, '[CLS]': 2, '[SEP]': 3 } },
    });
    expect((await readTokenizer(file, { padToken: '[SEP]' })).padId).toBe(3);
    await expect(readTokenizer(file, { padToken: '<eos>' })).rejects.toThrow(`${file}: the padding token "<eos>" is not in the vocabulary`);
  });
});
