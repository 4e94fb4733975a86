// Writes the tokenizer.json fixtures of the text tests, in the Hugging Face format, by hand:
// no Python `transformers` and no network are needed, and @huggingface/tokenizers only reads
// tokenizers (it cannot train one). Run from this folder: `node make-tokenizer-fixtures.mjs`.
//
// - bert-tiny.tokenizer.json: BERT-style WordPiece (uncased: BertNormalizer lowercase, accents
//   stripped; BertPreTokenizer; [CLS] $A [SEP]), a 40-token vocabulary with BERT's specials.
// - roberta-tiny.tokenizer.json: GPT-2 byte-level BPE (the 256 byte symbols and a few merges)
//   with RoBERTa's <s> $A </s> post-processing and its <pad>.
import { writeFileSync } from 'node:fs';

const added = (content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });

function bertTiny() {
  const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const words = ['the', 'a', 'cat', 'dog', 'sat', 'on', 'mat', 'is', 'good', 'bad', 'movie', 'film', 'not', 'very', 'hello', 'world'];
  const pieces = ['##s', '##ing', '##ed', '##ly', 'un', '##believ', '##able', 'play', '.', ',', '!', '?', "'"];
  const vocab = Object.fromEntries([...specials, ...words, ...pieces].map((token, id) => [token, id]));
  const special = (id) => ({ SpecialToken: { id, type_id: 0 } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map(added),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, special('[SEP]')],
      pair: [special('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, special('[SEP]'), { Sequence: { id: 'B', type_id: 1 } }, special('[SEP]')],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [vocab['[CLS]']], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [vocab['[SEP]']], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

/** GPT-2's map of bytes to printable characters (a space is `Ġ`). */
function byteSymbols() {
  const printable = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const symbols = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) symbols[b] = String.fromCharCode(printable.includes(b) ? b : next++);
  return symbols;
}

function robertaTiny() {
  const specials = ['<s>', '<pad>', '</s>', '<unk>', '<mask>'];
  const merges = ['Ġ t', 'h e', 'Ġt he', 'Ġ c', 'Ġc a', 'Ġca t', 'Ġ s', 'Ġs a', 'Ġsa t', 'l l', 'e ll', 'h ell', 'hell o', 'Ġ w', 'o r', 'Ġw or', 'Ġwor l', 'Ġworl d'];
  const tokens = [...specials, ...byteSymbols(), ...merges.map((merge) => merge.replace(' ', ''))];
  const vocab = Object.fromEntries(tokens.map((token, id) => [token, id]));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content) => added(content, vocab[content])),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0], trim_offsets: true, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}

writeFileSync('bert-tiny.tokenizer.json', `${JSON.stringify(bertTiny(), null, 2)}\n`);
writeFileSync('roberta-tiny.tokenizer.json', `${JSON.stringify(robertaTiny(), null, 2)}\n`);
