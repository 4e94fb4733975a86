import { isTokenDataset, type Dataset, type TokenDataset } from '@headstart/core';

/**
 * The samples of several datasets of one sample shape, one after another, without labels: an
 * unlabelled pool for unsupervised pre-training.
 */
export function concatUnlabeled(parts: readonly Dataset[]): Dataset {
  const first = parts[0];
  if (!first) throw new RangeError('concatUnlabeled needs at least one dataset');
  const shape = first.sampleShape.join(',');
  const bad = parts.find((p) => p.sampleShape.join(',') !== shape);
  if (bad) throw new RangeError(`cannot join samples of shape [${bad.sampleShape}] to samples of shape [${shape}]`);
  return { size: total(parts), sampleShape: [...first.sampleShape], features: joined(parts.map((p) => p.features)), source: first.source };
}

/**
 * {@link concatUnlabeled} for token sequences: every part must come from the same tokenizer at the
 * same length (its ids mean nothing to another's vocabulary).
 */
export function concatUnlabeledTokens(parts: readonly TokenDataset[]): TokenDataset {
  const first = parts[0];
  if (!first) throw new RangeError('concatUnlabeledTokens needs at least one dataset');
  const bad = parts.find((p) => p.tokenizer.sha256 !== first.tokenizer.sha256 || p.sequenceLength !== first.sequenceLength);
  if (bad) throw new RangeError(`cannot join ${bad.source.file}'s token sequences to ${first.source.file}'s: another tokenizer or length`);
  return {
    kind: 'tokens',
    size: total(parts),
    sequenceLength: first.sequenceLength,
    inputIds: joined(parts.map((p) => p.inputIds)),
    attentionMask: joined(parts.map((p) => p.attentionMask)),
    tokenizer: first.tokenizer,
    source: first.source,
  };
}

/** Whichever of the two joins the parts' kind needs. */
export function concatUnlabeledAny<D extends Dataset | TokenDataset>(parts: readonly D[]): D {
  const tokens = (parts as readonly (Dataset | TokenDataset)[]).filter(isTokenDataset);
  return (tokens.length === parts.length ? concatUnlabeledTokens(tokens) : concatUnlabeled(parts as readonly Dataset[])) as D;
}

function total(parts: readonly { size: number }[]): number {
  return parts.reduce((n, p) => n + p.size, 0);
}

function joined<A extends Float32Array | Int32Array>(arrays: A[]): A {
  const out = new (arrays[0]!.constructor as new (length: number) => A)(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}
