import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { writeFileSafely, type Label } from '@headstart/core';

/** Bumped when the cache file layout or the tokenisation changes, so old entries are never read. */
const TOKEN_CACHE_VERSION = 2;

/** This package's version, read from its package.json (two levels above src/text/ and dist/text/). */
const PACKAGE_VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** What a tokenisation depends on: equal keys give equal ids, masks and labels. */
export interface TokenCacheKey {
  /** sha-256 of the text file's bytes. */
  file: string;
  /** sha-256 of the tokenizer.json. */
  tokenizer: string;
  padId: number;
  maxLength: number;
  format: string;
  text: string;
  label: string | undefined;
  labelled: boolean | 'optional';
  labelMap: Label[] | undefined;
  extendLabels: boolean;
}

/** Tokenised text as the cache holds it. */
export interface CachedTokens {
  size: number;
  inputIds: Int32Array;
  attentionMask: Int32Array;
  labels?: Int32Array | undefined;
  labelMap?: Label[] | undefined;
}

/** The cache file of a key in `dir`: `<sha-256 of the key>.tokens`. */
export function tokenCacheFile(dir: string, key: TokenCacheKey): string {
  const digest = createHash('sha256')
    // The package's version stands for the code that tokenises (its pinned tokenizers library included): a cache
    // folder shared by two installed versions never hands one the other's ids.
    .update(JSON.stringify({ version: TOKEN_CACHE_VERSION, package: PACKAGE_VERSION, endianness: endianness(), ...key }))
    .digest('hex');
  return join(dir, `${digest}.tokens`);
}

/**
 * The tokens cached in `file`, or undefined when there is none or it does not read back whole
 * (then it is made again and replaced: a cache entry is only ever a copy of what tokenising gives).
 * Layout: a 4-byte little-endian header length, the JSON header (with the sha-256 of the body),
 * then ids, mask and labels. The body must have the header's length and sha-256: a truncated or
 * damaged entry is never trusted.
 */
export async function readTokenCache(file: string, maxLength: number): Promise<CachedTokens | undefined> {
  const bytes = await readFile(file).catch(() => undefined);
  if (!bytes || bytes.length < 4) return undefined;
  const headerLength = bytes.readUInt32LE(0);
  let header: { version?: unknown; size?: unknown; maxLength?: unknown; labelled?: unknown; labelMap?: unknown; sha256?: unknown };
  try {
    header = JSON.parse(bytes.subarray(4, 4 + headerLength).toString('utf8'));
  } catch {
    return undefined;
  }
  const size = header.size;
  if (header.version !== TOKEN_CACHE_VERSION || header.maxLength !== maxLength || !Number.isSafeInteger(size)) return undefined;
  const cells = (size as number) * maxLength;
  const labelled = header.labelled === true;
  if (labelled && !Array.isArray(header.labelMap)) return undefined;
  const body = 4 + headerLength;
  if (bytes.length !== body + 4 * (2 * cells + (labelled ? (size as number) : 0))) return undefined;
  if (header.sha256 !== sha256(bytes.subarray(body))) return undefined;
  const ints = (start: number, count: number) =>
    new Int32Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + 4 * count));
  return {
    size: size as number,
    inputIds: ints(body, cells),
    attentionMask: ints(body + 4 * cells, cells),
    ...(labelled ? { labels: ints(body + 8 * cells, size as number), labelMap: header.labelMap as Label[] } : {}),
  };
}

/**
 * Write tokens to the cache file `file` atomically: written aside, flushed and renamed over it, so a
 * killed run leaves either no entry or a whole one (and {@link readTokenCache} checks it anyway).
 * @throws FileWriteError naming the file (no room, no permission): the caller decides whether a cache matters.
 */
export async function writeTokenCache(file: string, tokens: CachedTokens, maxLength: number): Promise<void> {
  const arrays = [tokens.inputIds, tokens.attentionMask, ...(tokens.labels ? [tokens.labels] : [])];
  const body = Buffer.concat(arrays.map((array) => Buffer.from(array.buffer, array.byteOffset, array.byteLength)));
  const header = Buffer.from(
    JSON.stringify({
      version: TOKEN_CACHE_VERSION,
      size: tokens.size,
      maxLength,
      labelled: tokens.labels !== undefined,
      labelMap: tokens.labelMap,
      sha256: sha256(body),
    }),
  );
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length, 0);
  await writeFileSafely(file, Buffer.concat([length, header, body]));
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
