import { access } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { tokenEmbedding, type ModelSpec, type TokenizerPreprocessing } from '@headstart/core';
import { readTokenizer } from '@headstart/data';
import { CliError } from '../cli-error.js';

/** The file name a Hugging Face model directory keeps its tokenizer under. */
export const TOKENIZER_FILE = 'tokenizer.json';

/**
 * The tokenizer.json for an imported model: `--tokenizer FILE`, else a `tokenizer.json` beside the
 * model file when there is one, else none.
 */
export async function tokenizerFile(model: string, flag: string | undefined): Promise<string | undefined> {
  if (flag !== undefined) return flag;
  const beside = join(dirname(model), TOKENIZER_FILE);
  return (await access(beside).then(
    () => true,
    () => false,
  ))
    ? beside
    : undefined;
}

/**
 * The tokenizer an imported encoder records, so that text training and predict tokenise as the model
 * expects: sequences of the model's token count, padded with the tokenizer's padding id, read from
 * column `textColumn`. A found (not given) tokenizer of a model without token inputs is ignored.
 * @throws CliError when `--tokenizer` is given for a model without token inputs, or the tokenizer has
 * more tokens than the model's token embedding has rows; DataError for a file that is no tokenizer.
 */
export async function importedTokenizer(
  spec: ModelSpec,
  file: string | undefined,
  given: boolean,
  textColumn: string,
): Promise<TokenizerPreprocessing | undefined> {
  const ids = spec.inputs?.[0];
  const embedding = tokenEmbedding(spec);
  if (file === undefined) return undefined;
  if (!ids || !embedding) {
    if (!given) return undefined;
    throw new CliError(
      `--tokenizer: the model takes no token ids (it has no named inputs read by an embedding); give a tokenizer only for a text encoder`,
    );
  }
  const tokenizer = await readTokenizer(file);
  if (tokenizer.vocabSize > embedding.vocabSize)
    throw new CliError(
      `${given ? '--tokenizer: ' : ''}${file} has ${tokenizer.vocabSize} tokens, but the model's embedding "${embedding.name}" has ${embedding.vocabSize} rows: it is not this model's tokenizer`,
    );
  return tokenizer.preprocessing(ids.shape[0]!, textColumn);
}
