import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { writeFileSafely, type Label } from '@headstart/core';

/** Bumped when the cache file layout or the tokenisation changes, so old entries are never read. */
const TOKEN_CACHE_VERSION = 1;

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
    .update(JSON.stringify({ version: TOKEN_CACHE_VERSION, endianness: endianness(), ...key }))
    .digest('hex');
  return join(dir, `${digest}.tokens`);
}

/**
 * The tokens cached in `file`, or undefined when there is none or it does not read back whole
 * (then it is made again and replaced: a cache entry is only ever a copy of what tokenising gives).
 * Layout: a 4-byte little-endian header length, the JSON header, then ids, mask and labels.
 */
export async function readTokenCache(file: string, maxLength: number): Promise<CachedTokens | undefined> {
  const bytes = await readFile(file).catch(() => undefined);
  if (!bytes || bytes.length < 4) return undefined;
  const headerLength = bytes.readUInt32LE(0);
  let header: { version?: unknown; size?: unknown; labelled?: unknown; labelMap?: unknown };
  try {
    header = JSON.parse(bytes.subarray(4, 4 + headerLength).toString('utf8'));
  } catch {
    return undefined;
  }
  const size = header.size;
  if (header.version !== TOKEN_CACHE_VERSION || !Number.isSafeInteger(size)) return undefined;
  const cells = (size as number) * maxLength;
  const labelled = header.labelled === true;
  const expected = 4 + headerLength + 4 * (2 * cells + (labelled ? (size as number) : 0));
  if (bytes.length !== expected) return undefined;
  const ints = (start: number, count: number) =>
    new Int32Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + 4 * count));
  const body = 4 + headerLength;
  return {
    size: size as number,
    inputIds: ints(body, cells),
    attentionMask: ints(body + 4 * cells, cells),
    ...(labelled ? { labels: ints(body + 8 * cells, size as number), labelMap: header.labelMap as Label[] } : {}),
  };
}

/** Write tokens to the cache file `file`, safely (a failed write leaves no partial entry). */
export async function writeTokenCache(file: string, tokens: CachedTokens): Promise<void> {
  const header = Buffer.from(
    JSON.stringify({ version: TOKEN_CACHE_VERSION, size: tokens.size, labelled: tokens.labels !== undefined, labelMap: tokens.labelMap }),
  );
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length, 0);
  const arrays = [tokens.inputIds, tokens.attentionMask, ...(tokens.labels ? [tokens.labels] : [])];
  const body = arrays.map((array) => Buffer.from(array.buffer, array.byteOffset, array.byteLength));
  await writeFileSafely(file, Buffer.concat([length, header, ...body]));
}
