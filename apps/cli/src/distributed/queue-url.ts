import { CliError } from '../cli-error.js';

/** A checked `--queue` URL: the URL to connect with and the form that may be printed. */
export interface QueueUrl {
  /** The URL as given, password included: only ever handed to the Redis client. */
  url: string;
  /** The URL with its password replaced by `***`: the only form printed anywhere. */
  shown: string;
  /** Secrets to scrub from any message that is printed (the password, raw and percent-encoded). */
  secrets: string[];
  tls: boolean;
}

const FORM = 'expected redis://[[user]:password@]host[:port][/db] or rediss://… (TLS)';

/**
 * Check a `--queue` URL before anything connects.
 * @throws CliError (exit 2) naming the flag, the URL without its password, and the expected form.
 */
export function parseQueueUrl(text: string, flag = '--queue'): QueueUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`${flag} ${redactText(text)}: not a URL; ${FORM}`);
  }
  const secrets = url.password ? [url.password, decodeURIComponent(url.password)] : [];
  const shown = redactUrl(url);
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new CliError(`${flag} ${shown}: ${FORM}`);
  if (!url.hostname) throw new CliError(`${flag} ${shown}: no host; ${FORM}`);
  if (url.pathname && url.pathname !== '/' && !/^\/\d+$/.test(url.pathname))
    throw new CliError(`${flag} ${shown}: the path must be a database number (/0); ${FORM}`);
  if (url.search || url.hash) throw new CliError(`${flag} ${shown}: no query or fragment; ${FORM}`);
  return { url: text, shown, secrets: [...new Set(secrets)], tls: url.protocol === 'rediss:' };
}

/** `redis://:secret@host:6379` → `redis://:***@host:6379`. */
function redactUrl(url: URL): string {
  if (!url.password) return url.href.replace(/\/$/, '');
  const copy = new URL(url.href);
  copy.password = '***';
  return copy.href.replace(/\/$/, '');
}

/** A string that does not parse as a URL may still hold `user:password@`: everything before the `@` goes. */
function redactText(text: string): string {
  const at = text.lastIndexOf('@');
  if (at < 0) return text;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text)?.[0] ?? '';
  return `${scheme}***${text.slice(at)}`;
}

/** `message` with every secret of `queue` replaced by `***`: for any line printed from a Redis or BullMQ error. */
export function scrub(message: string, queue: QueueUrl): string {
  const shown = message.split(queue.url).join(queue.shown);
  return queue.secrets.reduce((m, secret) => m.split(secret).join('***'), shown);
}
