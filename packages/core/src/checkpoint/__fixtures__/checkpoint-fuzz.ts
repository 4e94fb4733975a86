import { createRng, type Rng } from '../../rng.js';

/**
 * Seeded corruptions of a valid checkpoint, for fuzz tests: the core reader must reject every one
 * with a one-line CheckpointError, the CLI with exit 2 and one line. Plain functions of bytes, so
 * the CLI suite in tests/ generates the same files.
 */

/** One damaged file: what was done to it (`kind` groups them) and its bytes. */
export interface FuzzedCheckpoint {
  kind: FuzzKind;
  name: string;
  bytes: Buffer;
}

/** The families of damage {@link fuzzCheckpoint} makes. */
export type FuzzKind =
  | 'truncated'
  | 'header length'
  | 'header byte flipped'
  | 'header not JSON'
  | 'dtype'
  | 'shape'
  | 'offsets'
  | 'tensor table'
  | 'manifest'
  | 'tensor data flipped';

/** A safetensors file taken apart: its header parsed, its padding length and its data section. */
interface Parts {
  headerLength: number;
  /** Bytes of the header that are JSON, before the space padding. */
  jsonLength: number;
  header: Record<string, Record<string, unknown>>;
  data: Buffer;
}

type Entry = { dtype: unknown; shape: unknown; data_offsets: unknown };
type Header = Record<string, unknown>;

/**
 * Damaged copies of `good` (a checkpoint as writeCheckpoint writes it, with a manifest, at least
 * two tensors and a 2-d weight that is not square), the same for the same seed. Random positions,
 * masks and tensors come from `seed`. Optimizer state and same-shaped tensors, when the file has
 * them, add cases of their own.
 */
export function fuzzCheckpoint(good: Buffer, seed = 1): FuzzedCheckpoint[] {
  const rng = createRng(seed);
  const parts = takeApart(good);
  return [
    ...truncations(good, parts, rng),
    ...headerLengthLies(good, parts),
    ...headerByteFlips(good, parts, rng),
    ...badJson(parts),
    ...wrongDtypes(parts, rng),
    ...badShapes(parts, rng),
    ...badOffsets(parts, rng),
    ...tensorTableEdits(parts, rng),
    ...manifestEdits(parts),
    ...dataByteFlips(good, parts, rng),
  ];
}

/** Pick `count` items of a deterministic sample (with a fixed order for a seed). */
export function sampleOf<T>(items: readonly T[], count: number, seed = 1): T[] {
  const rng = createRng(seed);
  const pool = [...items];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, count);
}

function takeApart(bytes: Buffer): Parts {
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const text = bytes.subarray(8, 8 + headerLength).toString('utf8');
  const jsonLength = Buffer.byteLength(text.trimEnd());
  return { headerLength, jsonLength, header: JSON.parse(text) as Parts['header'], data: bytes.subarray(8 + headerLength) };
}

/** A safetensors file from a header (JSON-encoded unless text or bytes) and data, with a true length field. */
function assemble(header: unknown, data: Buffer): Buffer {
  const json = Buffer.isBuffer(header) ? header : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([prefix, json, data]);
}

function tensorNames(parts: Parts): string[] {
  return Object.keys(parts.header).filter((key) => key !== '__metadata__');
}

/** A copy of the header with one tensor's entry edited. */
function editEntry(parts: Parts, name: string, edit: (entry: Entry) => unknown): Buffer {
  const header: Header = structuredClone(parts.header);
  header[name] = edit(header[name] as Entry);
  return assemble(header, parts.data);
}

function editManifestJson(parts: Parts, edit: (manifest: Record<string, unknown>) => unknown): Buffer {
  const header = structuredClone(parts.header) as Header & { __metadata__: Record<string, string> };
  const manifest = JSON.parse(header.__metadata__.headstart!) as Record<string, unknown>;
  const edited = edit(manifest);
  header.__metadata__.headstart = typeof edited === 'string' ? edited : JSON.stringify(edited);
  return assemble(header, parts.data);
}

function truncations(good: Buffer, parts: Parts, rng: Rng): FuzzedCheckpoint[] {
  const dataStart = 8 + parts.headerLength;
  const fixed = [0, 1, 4, 7, 8, 9, 12, 16, dataStart >> 1, dataStart - 1, dataStart, dataStart + 1, dataStart + 4, good.length - 4, good.length - 1];
  const random = Array.from({ length: 35 }, () => rng.int(good.length));
  return [...new Set([...fixed, ...random])].map((length) => ({ kind: 'truncated', name: `truncated to ${length} of ${good.length} bytes`, bytes: good.subarray(0, length) }));
}

function headerLengthLies(good: Buffer, parts: Parts): FuzzedCheckpoint[] {
  const rest = BigInt(good.length - 8);
  const actual = BigInt(parts.headerLength);
  const padding = BigInt(parts.headerLength - parts.jsonLength);
  const lies: [string, bigint][] = [
    ['zero', 0n],
    ['one', 1n],
    ['2^64 - 1', 2n ** 64n - 1n],
    ['2^63', 2n ** 63n],
    ['2^53 + 1', 2n ** 53n + 1n],
    ['2^32', 2n ** 32n],
    ['100 MiB + 1 (just over the cap)', 100n * 1024n * 1024n + 1n],
    ['100 MiB (the cap, past the end)', 100n * 1024n * 1024n],
    ['the rest of the file + 1', rest + 1n],
    ['the rest of the file (no data)', rest],
    ['one byte into the data', actual + 1n],
    ['eight bytes into the data', actual + 8n],
    ['cutting the JSON short by one byte', actual - padding - 1n],
    ['cutting the padding only (data shifted)', actual - padding],
    ['half the header', actual / 2n],
  ];
  return lies.map(([what, length]) => {
    const bytes = Buffer.from(good);
    bytes.writeBigUInt64LE(length, 0);
    return { kind: 'header length', name: `header length field says ${what} (${length})`, bytes };
  });
}

function headerByteFlips(good: Buffer, parts: Parts, rng: Rng): FuzzedCheckpoint[] {
  // Only the JSON: a flip in the space padding after it changes nothing a reader sees.
  return Array.from({ length: 50 }, () => {
    const offset = 8 + rng.int(parts.jsonLength);
    const mask = 1 + rng.int(255);
    const bytes = Buffer.from(good);
    bytes[offset]! ^= mask;
    return { kind: 'header byte flipped', name: `header byte ${offset} ("${String.fromCharCode(good[offset]!)}") xor 0x${mask.toString(16)}`, bytes };
  });
}

function badJson(parts: Parts): FuzzedCheckpoint[] {
  const json = JSON.stringify(parts.header);
  const texts: [string, string | Buffer][] = [
    ['cut in half', json.slice(0, json.length >> 1)],
    ['missing the closing brace', json.slice(0, -1)],
    ['a trailing comma', `${json.slice(0, -1)},}`],
    ['single-quoted keys', json.replaceAll('"dtype"', "'dtype'")],
    ['a bare NaN', json.replace('"dtype"', '"nan":NaN,"dtype"')],
    ['two objects', `${json}${json}`],
    ['a JSON string', JSON.stringify(json)],
    ['a number', '42'],
    ['null', 'null'],
    ['an array', `[${json}]`],
    ['all spaces', ' '.repeat(64)],
    ['NUL bytes', Buffer.alloc(64)],
    ['invalid UTF-8', Buffer.concat([Buffer.from(json.slice(0, 20)), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(json.slice(20))])],
  ];
  return texts.map(([what, text]) => ({ kind: 'header not JSON', name: `header JSON: ${what}`, bytes: assemble(text, parts.data) }));
}

function wrongDtypes(parts: Parts, rng: Rng): FuzzedCheckpoint[] {
  const names = tensorNames(parts);
  const dtypes: unknown[] = ['F16', 'BF16', 'F64', 'I32', 'U8', 'f32', 'F 32', '', 32, null, ['F32']];
  return dtypes.map((dtype) => {
    const name = names[rng.int(names.length)]!;
    return { kind: 'dtype', name: `tensor "${name}" dtype ${JSON.stringify(dtype)}`, bytes: editEntry(parts, name, (e) => ({ ...e, dtype })) };
  });
}

function badShapes(parts: Parts, rng: Rng): FuzzedCheckpoint[] {
  const names = tensorNames(parts);
  const shapeOf = (name: string): number[] => (parts.header[name] as Entry).shape as number[];
  const matrix = names.find((n) => shapeOf(n).length === 2 && shapeOf(n)[0] !== shapeOf(n)[1])!;
  const [rows, cols] = shapeOf(matrix) as [number, number];
  const edits: [string, string, unknown][] = [
    ['dimensions swapped', matrix, [cols, rows]],
    ['flattened (same bytes)', matrix, [rows * cols]],
    ['a trailing 1 (same bytes)', matrix, [rows, cols, 1]],
    ['a leading 1 (same bytes)', matrix, [1, rows, cols]],
    ['a dimension of 0', matrix, [0, cols]],
    ['a negative dimension', matrix, [-rows, cols]],
    ['a fractional dimension', matrix, [rows + 0.5, cols]],
    ['a huge dimension', matrix, [2 ** 53, cols]],
    ['dimensions whose product overflows', matrix, [2 ** 40, 2 ** 40]],
    ['a string', matrix, `${rows},${cols}`],
    ['null', matrix, null],
    ['missing', matrix, undefined],
    ['a number', matrix, rows * cols],
    ['nested', matrix, [[rows], [cols]]],
  ];
  // Optimizer state is not in the spec: only the header hash sees its shape change.
  const optimizerMatrix = names.find((n) => n.startsWith('optim.') && shapeOf(n).length === 2);
  if (optimizerMatrix) {
    const [m, n] = shapeOf(optimizerMatrix) as [number, number];
    edits.push(['optimizer state flattened (same bytes)', optimizerMatrix, [m * n]], ['optimizer state transposed (same bytes)', optimizerMatrix, [n, m]]);
  }
  const anyTensor = names[rng.int(names.length)]!;
  edits.push(['one more dimension of 2', anyTensor, [...shapeOf(anyTensor), 2]]);
  return edits.map(([what, name, shape]) => ({
    kind: 'shape',
    name: `tensor "${name}" shape ${what}: ${JSON.stringify(shape)}`,
    bytes: editEntry(parts, name, (e) => ({ ...e, shape })),
  }));
}

function badOffsets(parts: Parts, rng: Rng): FuzzedCheckpoint[] {
  const names = tensorNames(parts);
  const offsetsOf = (name: string): [number, number] => (parts.header[name] as Entry).data_offsets as [number, number];
  const size = parts.data.length;
  const pick = (): string => names[1 + rng.int(names.length - 1)]!;
  const cases: [string, string, unknown][] = [];
  for (let i = 0; i < 3; i++) {
    const name = pick();
    const [begin, end] = offsetsOf(name);
    cases.push(
      ['reversed', name, [end, begin]],
      ['overlapping the previous tensor', name, [begin - 4, end - 4]],
      ['leaving a gap', name, [begin + 4, end + 4]],
    );
  }
  const last = names[names.length - 1]!;
  const [lastBegin, lastEnd] = offsetsOf(last);
  const first = names[0]!;
  const [firstBegin, firstEnd] = offsetsOf(first);
  cases.push(
    ['past the end of the data', last, [lastBegin, lastEnd + 4]],
    ['far past the end', last, [lastBegin, 2 ** 52]],
    ['beyond 2^53', last, [lastBegin, 2 ** 53 + 2]],
    ['at the very end, empty', last, [size, size]],
    ['the whole data section', first, [0, size]],
    ['negative', first, [-4, firstEnd - 4]],
    ['fractional', first, [firstBegin + 0.5, firstEnd + 0.5]],
    ['strings', first, [String(firstBegin), String(firstEnd)]],
    ['three numbers', first, [firstBegin, firstEnd, firstEnd]],
    ['one number', first, [firstEnd]],
    ['null', first, null],
    ['missing', first, undefined],
  );
  return cases.map(([what, name, offsets]) => ({
    kind: 'offsets',
    name: `tensor "${name}" data_offsets ${what}: ${JSON.stringify(offsets)}`,
    bytes: editEntry(parts, name, (e) => ({ ...e, data_offsets: offsets })),
  }));
}

/** Whole entries swapped, renamed, dropped or added, so the table no longer fits the spec or itself. */
function tensorTableEdits(parts: Parts, rng: Rng): FuzzedCheckpoint[] {
  const names = tensorNames(parts);
  const entryOf = (name: string): Entry => parts.header[name] as Entry;
  const sameShape = names.flatMap((a, i) => names.slice(i + 1).filter((b) => JSON.stringify(entryOf(a).shape) === JSON.stringify(entryOf(b).shape)).map((b) => [a, b] as const));
  const rebuilt = (edit: (header: Header) => Header): Buffer => assemble(edit(structuredClone(parts.header)), parts.data);
  const renamed = (from: string, to: string) => (header: Header): Header => Object.fromEntries(Object.entries(header).map(([k, v]) => [k === from ? to : k, v]));
  const without = (name: string) => (header: Header): Header => Object.fromEntries(Object.entries(header).filter(([k]) => k !== name));
  const weight = names[0]!;
  const edits: [string, (header: Header) => Header][] = [
    [`weight "${weight}" renamed`, renamed(weight, `${weight}x`)],
    [`weight "${weight}" renamed into optim.*`, renamed(weight, `optim.${weight}`)],
    [`weight "${weight}" dropped (its bytes left)`, without(weight)],
    ['an extra empty tensor', (h) => ({ ...h, extra: { dtype: 'F32', shape: [0], data_offsets: [parts.data.length, parts.data.length] } })],
    ['an extra empty optimizer tensor', (h) => ({ ...h, 'optim.extra': { dtype: 'F32', shape: [0], data_offsets: [parts.data.length, parts.data.length] } })],
    ['entry replaced by a number', (h) => ({ ...h, [weight]: 7 })],
    ['entry replaced by an array', (h) => ({ ...h, [weight]: [entryOf(weight)] })],
    ['__metadata__ removed', without('__metadata__')],
    ['__metadata__ a string', (h) => ({ ...h, __metadata__: 'headstart' })],
    ['__metadata__.headstart an object', (h) => ({ ...h, __metadata__: { headstart: { format: 'headstart' } } })],
    ['__metadata__.headstart renamed', (h) => ({ ...h, __metadata__: renamed('headstart', 'headstarts')(h.__metadata__ as Header) })],
  ];
  // Two tensors of one shape trading places: the data hash and the spec check both still pass.
  if (sameShape.length > 0) {
    const [a, b] = sameShape[rng.int(sameShape.length)]!;
    edits.push([`offsets of "${a}" and "${b}" swapped (same shape)`, (h) => ({ ...h, [a]: h[b], [b]: h[a] })]);
  }
  const optimizer = names.find((n) => n.startsWith('optim.'));
  if (optimizer) {
    edits.push(
      [`optimizer tensor "${optimizer}" renamed`, renamed(optimizer, `${optimizer}x`)],
      [`optimizer tensor "${optimizer}" renamed out of optim.*`, renamed(optimizer, optimizer.slice('optim.'.length))],
      [`optimizer tensor "${optimizer}" dropped (its bytes left)`, without(optimizer)],
    );
  }
  return edits.map(([what, edit]) => ({ kind: 'tensor table', name: what, bytes: rebuilt(edit) }));
}

/** Manifest fields removed or of the wrong type, at the top and inside. */
function manifestEdits(parts: Parts): FuzzedCheckpoint[] {
  const manifest = JSON.parse((parts.header.__metadata__ as Record<string, string>).headstart!) as Record<string, unknown>;
  const cases: [string, (m: Record<string, unknown>) => unknown][] = [];
  const wrongTypes: [string, unknown][] = [['null', null], ['a number', 3], ['a string', 'x'], ['an array', []], ['an object', {}]];
  for (const field of Object.keys(manifest)) {
    cases.push([`${field} removed`, ({ [field]: _, ...rest }) => rest]);
    for (const [what, value] of wrongTypes) {
      if (JSON.stringify(manifest[field]) !== JSON.stringify(value)) cases.push([`${field} ${what}`, (m) => ({ ...m, [field]: value })]);
    }
  }
  const nested = (path: string, value: unknown) => (m: Record<string, unknown>): unknown => {
    const copy = structuredClone(m);
    const keys = path.split('.');
    let target = copy as Record<string, unknown>;
    for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
    if (value === undefined) delete target[keys.at(-1)!];
    else target[keys.at(-1)!] = value;
    return copy;
  };
  cases.push(
    ['spec.inputShape one wider', nested('spec.inputShape', [((manifest.spec as { inputShape: number[] }).inputShape[0] ?? 1) + 1])],
    ['spec.inputShape removed', nested('spec.inputShape', undefined)],
    ['spec.layers empty', nested('spec.layers', [])],
    ['spec.layers.0.units one more', nested('spec.layers.0.units', ((manifest.spec as { layers: { units?: number }[] }).layers[0]?.units ?? 1) + 1)],
    ['spec.layers.0.type unknown', nested('spec.layers.0.type', 'transformer')],
    ['spec.layers.0.name changed', nested('spec.layers.0.name', 'renamed')],
    ['preprocessing.kind unknown', nested('preprocessing.kind', 'whiten')],
    ['provenance.0.backend a number', nested('provenance.0.backend', 5)],
    ['format changed', nested('format', 'keras')],
    ['version from the future', nested('version', 99)],
    ['version 0', nested('version', 0)],
    ['dataSha256 of other data', nested('dataSha256', '0'.repeat(64))],
    ['dataSha256 upper-case', nested('dataSha256', String(manifest.dataSha256).toUpperCase())],
    ['not JSON', () => '{"format":"headstart",'],
    ['empty', () => ''],
    ['a JSON string', () => JSON.stringify(JSON.stringify(manifest))],
  );
  return cases.map(([what, edit]) => ({ kind: 'manifest', name: `manifest ${what}`, bytes: editManifestJson(parts, edit) }));
}

function dataByteFlips(good: Buffer, parts: Parts, rng: Rng): FuzzedCheckpoint[] {
  const dataStart = 8 + parts.headerLength;
  const positions = [dataStart, good.length - 1, ...Array.from({ length: 38 }, () => dataStart + rng.int(parts.data.length))];
  return positions.map((offset) => {
    const mask = 1 << rng.int(8);
    const bytes = Buffer.from(good);
    bytes[offset]! ^= mask;
    return { kind: 'tensor data flipped', name: `data byte ${offset - dataStart} xor 0x${mask.toString(16)}`, bytes };
  });
}
