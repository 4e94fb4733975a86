import { HeadstartError } from '@headstart/core';
import type { GraphProto, NodeProto, TensorProto } from '../onnx/onnx-proto.js';
import { DataType } from '../onnx/onnx-proto.js';

/** An `OperatorSetIdProto`: a domain (`''` is the default ONNX domain) and its version. */
export interface OperatorSetId {
  domain?: string | undefined;
  version?: number | undefined;
}

/** The opsets of the default domain whose operator changes {@link BREAKING} lists. */
const KNOWN_OPSETS = { oldest: 7, newest: 23 } as const;

/** The reductions that take their axes as an input from opset 18 (ReduceSum already did from 13). */
const REDUCTIONS_18 = [
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceMax',
  'ReduceMean',
  'ReduceMin',
  'ReduceProd',
  'ReduceSumSquare',
] as const;

/**
 * Where a default-domain op was redefined so that a node written for an earlier opset does not
 * keep its meaning under the later one: always, or only when the node has attribute `gone` (moved
 * to an input or removed). Changes that only add types or optional attributes and inputs with the
 * old behaviour as default are compatible and not listed. From the ONNX operator changelog, 7–23.
 */
const BREAKING: Readonly<Record<string, readonly { version: number; gone?: string | undefined }[]>> = {
  BatchNormalization: [{ version: 9, gone: 'spatial' }],
  Upsample: [{ version: 9, gone: 'scales' }],
  Scan: [{ version: 9 }],
  Slice: [{ version: 10, gone: 'starts' }],
  TopK: [{ version: 10, gone: 'k' }],
  Clip: [
    { version: 11, gone: 'min' },
    { version: 11, gone: 'max' },
  ],
  Pad: [{ version: 11, gone: 'pads' }],
  Resize: [{ version: 11 }],
  Dropout: [{ version: 12, gone: 'ratio' }],
  Softmax: [{ version: 13 }],
  LogSoftmax: [{ version: 13 }],
  Hardmax: [{ version: 13 }],
  ReduceSum: [{ version: 13, gone: 'axes' }],
  Split: [{ version: 13, gone: 'split' }, { version: 18 }],
  Squeeze: [{ version: 13, gone: 'axes' }],
  Unsqueeze: [{ version: 13, gone: 'axes' }],
  RoiAlign: [{ version: 16 }],
  ...Object.fromEntries(REDUCTIONS_18.map((op) => [op, [{ version: 18, gone: 'axes' }]])),
  DFT: [{ version: 20 }],
  GridSample: [{ version: 20 }],
  GroupNormalization: [{ version: 21 }],
};

/** One side of a merge: what it is called in errors, the opsets it imports and its main graph's nodes. */
export interface OpsetUser {
  name: string;
  opsets: readonly OperatorSetId[];
  nodes: readonly NodeProto[];
}

/** The default domain's version in `opsets`, if it imports it. */
export function defaultDomainVersion(opsets: readonly OperatorSetId[]): number | undefined {
  const found = opsets.find((o) => domainKey(o.domain) === '');
  return found ? Number(found.version ?? 0) : undefined;
}

/**
 * One opset import list for a graph holding the nodes of both `a` and `b`: each domain at the higher
 * of their versions. A domain both import at different versions is raised only when that keeps the
 * meaning of every node of the lower side (see {@link BREAKING}).
 * @throws HeadstartError (NOT_SUPPORTED) naming the op, node and opset that would change meaning,
 * ending in `advice` (what the user can do).
 */
export function mergeOpsets(a: OpsetUser, b: OpsetUser, advice: string): OperatorSetId[] {
  const versions = new Map<string, number>();
  for (const { domain, version } of [...a.opsets, ...b.opsets]) {
    const key = domainKey(domain);
    versions.set(key, Math.max(versions.get(key) ?? 0, Number(version ?? 0)));
  }
  for (const side of [a, b]) {
    for (const { domain, version } of side.opsets) {
      const key = domainKey(domain);
      const target = versions.get(key)!;
      if (Number(version ?? 0) !== target)
        checkRaise(side, key, Number(version ?? 0), target, [a, b].find((s) => s !== side)!.name, advice);
    }
  }
  return [...versions].map(([domain, version]) => ({ domain, version }));
}

function checkRaise(side: OpsetUser, domain: string, from: number, to: number, other: string, advice: string): void {
  const refuse = (why: string): never => {
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `cannot merge ONNX opsets: ${side.name} imports ${domain === '' ? 'the default ONNX domain' : `domain "${domain}"`} at version ${from} and ${other} at ${to}; ${why}; ${advice}`,
    );
  };
  if (domain !== '') refuse('headstart knows the changes between versions only for the default domain');
  if (from < KNOWN_OPSETS.oldest || to > KNOWN_OPSETS.newest)
    refuse(`headstart knows the operator changes of opsets ${KNOWN_OPSETS.oldest}–${KNOWN_OPSETS.newest} only`);
  for (const node of walk(side.nodes)) {
    if (domainKey(node.domain) !== '') continue;
    const change = BREAKING[node.opType]?.find(
      (c) => c.version > from && c.version <= to && (c.gone === undefined || node.attribute?.some((x) => x.name === c.gone)),
    );
    if (change) {
      const what = change.gone
        ? `takes no attribute "${change.gone}" from opset ${change.version}`
        : `was redefined at opset ${change.version}`;
      refuse(`raising it would change node "${node.name ?? node.output[0]}" (${node.opType} ${what})`);
    }
  }
}

/**
 * Rewrite `graph`'s reductions written for opset 17 or earlier (axes as an attribute) for opset
 * `to` ≥ 18, where they take the axes as an int64 input; `fresh` names the new initializers.
 */
export function raiseReductions(graph: GraphProto, to: number, fresh: (hint: string) => string): void {
  if (to < 18) return;
  const reductions = new Set<string>(REDUCTIONS_18);
  for (const node of graph.node ?? []) {
    const axes = node.attribute?.find((x) => x.name === 'axes');
    if (!reductions.has(node.opType) || domainKey(node.domain) !== '' || !axes) continue;
    const values = (axes.ints ?? []).map(Number);
    const tensor: TensorProto = {
      name: fresh(`${node.output[0]}_axes`),
      dims: [values.length],
      dataType: DataType.INT64,
      rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer),
    };
    (graph.initializer ??= []).push(tensor);
    node.input = [node.input[0]!, tensor.name!];
    node.attribute = node.attribute!.filter((x) => x !== axes);
  }
}

/** Nodes and the nodes of their subgraphs, which read the model's opsets too. */
function* walk(nodes: readonly NodeProto[]): Generator<NodeProto> {
  for (const node of nodes) {
    yield node;
    for (const a of node.attribute ?? []) for (const g of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) yield* walk(g.node ?? []);
  }
}

/** `ai.onnx` is another name of the default domain. */
function domainKey(domain: string | undefined): string {
  return domain === 'ai.onnx' ? '' : (domain ?? '');
}
