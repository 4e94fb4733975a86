import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRng, writeFileSafely } from '@headstart/core';
import { messageText } from './message-text.js';
import { messageClass, readSpamCorpus, type RawMessage } from './spam-corpus.js';

/** Where the demo keeps the corpus as `{ text, label }` lines, made once per output directory. */
export function spamDataPath(out: string): string {
  return join(out, 'data', 'spam-assassin.jsonl');
}

/**
 * The SpamAssassin messages as JSONL (`text`: subject and body, `label`: ham or spam): every spam
 * message and as many ham messages, drawn with a fixed seed from all three ham collections (easy and
 * hard alike), so that a class guessed at random is right half the time. Written once (decoding the
 * messages takes seconds) and atomically, so an interrupted demo never leaves half a file for the
 * next one to read.
 */
export async function prepareSpamData(out: string): Promise<string> {
  const file = spamDataPath(out);
  if (existsSync(file)) return file;
  const lines: string[] = [];
  for (const message of balanced(readSpamCorpus())) {
    lines.push(JSON.stringify({ text: await messageText(message.text), label: messageClass(message.group) }));
  }
  await writeFileSafely(file, `${lines.join('\n')}\n`);
  return file;
}

/** The spam messages and an equal number of ham ones, seeded, in the corpus's order. */
function balanced(messages: RawMessage[]): RawMessage[] {
  const ham = messages.flatMap((m, i) => (messageClass(m.group) === 'ham' ? [i] : []));
  const spam = messages.length - ham.length;
  const rng = createRng(2002);
  for (let i = ham.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [ham[i], ham[j]] = [ham[j]!, ham[i]!];
  }
  const kept = new Set(ham.slice(0, spam));
  return messages.filter((m, i) => messageClass(m.group) === 'spam' || kept.has(i));
}
