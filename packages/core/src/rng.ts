/**
 * A seeded, serialisable random number generator (xoshiro128**). Its whole state is four 32-bit
 * words, which go into checkpoints so a resumed run draws exactly the numbers it would have drawn.
 */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** A standard normal draw (Box–Muller). */
  normal(): number;
  /** The state, for a checkpoint; {@link rngFromState} or {@link Rng.setState} restores it. */
  state(): number[];
  /** Continue from a saved state (on resume). */
  setState(state: readonly number[]): void;
  /** An independent generator derived from this one's next draws (for a sub-task such as a split). */
  fork(): Rng;
}

/**
 * The largest seed: {@link createRng} reads a seed as 32 bits, so `2^32 + 1` would draw what `1`
 * draws. Seeds from 0 to this are all distinct.
 */
export const MAX_SEED = 0xffffffff;

/** The seed of a run that names none (`headstart train`'s `--seed`, `train()`'s `seed`). */
export const DEFAULT_SEED = 42;

/** A generator seeded from an integer; the same seed gives the same sequence on every platform. */
export function createRng(seed: number): Rng {
  // splitmix32 spreads a small integer seed over the four state words.
  let s = seed >>> 0;
  const words: number[] = [];
  for (let i = 0; i < 4; i++) {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    words.push((z ^ (z >>> 16)) >>> 0);
  }
  if (!words.some((w) => w !== 0)) words[0] = 1;
  return rngFromState(words);
}

/** A generator that continues from a saved {@link Rng.state}. */
export function rngFromState(state: readonly number[]): Rng {
  const s = new Uint32Array(4);
  const setState = (words: readonly number[]): void => {
    if (words.length !== 4 || words.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)) {
      throw new TypeError(`rng state must be four unsigned 32-bit integers, got ${JSON.stringify(words)}`);
    }
    s.set(words);
  };
  setState(state);
  const nextWord = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  };
  const rng: Rng = {
    next: () => nextWord() / 0x100000000,
    int: (n) => Math.floor((nextWord() / 0x100000000) * n),
    normal: () => {
      const u = 1 - rng.next();
      const v = rng.next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    state: () => Array.from(s),
    setState,
    fork: () => rngFromState([nextWord(), nextWord(), nextWord(), (nextWord() | 1) >>> 0]),
  };
  return rng;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A seeded Fisher–Yates permutation of 0..n-1. */
export function permutation(n: number, rng: Rng): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order;
}
