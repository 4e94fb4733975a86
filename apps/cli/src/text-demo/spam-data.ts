import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileSafely } from '@headstart/core';
import { messageClass, readSpamCorpus } from './spam-corpus.js';
import { messageText } from './message-text.js';

/** Where the demo keeps the corpus as `{ text, label }` lines, made once per output directory. */
export function spamDataPath(out: string): string {
  return join(out, 'data', 'spam-assassin.jsonl');
}

/**
 * The SpamAssassin messages as JSONL (`text`: subject and body, `label`: ham or spam), in the
 * package's order. Written once (decoding 6 046 messages takes seconds) and atomically, so an
 * interrupted demo never leaves half a file for the next one to read.
 */
export async function prepareSpamData(out: string): Promise<string> {
  const file = spamDataPath(out);
  if (existsSync(file)) return file;
  const lines: string[] = [];
  for (const message of readSpamCorpus()) {
    lines.push(JSON.stringify({ text: await messageText(message.text), label: messageClass(message.group) }));
  }
  await writeFileSafely(file, `${lines.join('\n')}\n`);
  return file;
}
