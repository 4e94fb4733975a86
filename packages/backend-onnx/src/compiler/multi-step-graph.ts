import { encodeAttributes, int } from '../onnx/attributes.js';
import {
  AttributeType,
  DataType,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from '../onnx/onnx-proto.js';
import { PARAMS_BUFFER, TRAIN_IO, type TrainGraph } from './train-graph.js';

/** Prefixes of the multi-step graph's own names, kept apart from the step graph's (a subgraph must not shadow them). */
export const MULTI_IO = {
  /** `stacked.<input>`: a per-step input for K steps, `[K, ...shape]`. */
  stacked: 'stacked.',
  /** `initial.<input>`: what a carried input (flat group buffer, batch-norm statistic) holds before the first step. */
  initial: 'initial.',
  /** `final.<output>`: a carried output after the last step. */
  final: 'final.',
  /** `steps.loss`, `steps.correct`: one value per step, `[K]`. */
  steps: 'steps.',
} as const;

/**
 * How to drive a multi-step graph. Its inputs: `stacked.<input>` `[K, ...]` for x, target, each
 * dropout mask, the step number and each group's learning rate; `initial.<input>` for each flat group
 * buffer and each updated batch-norm statistic; the other parameters by name. Its outputs:
 * `final.<output>` for what replaces each carried input, and `steps.<output>` `[K]`.
 */
export interface MultiStepGraph {
  model: ModelProto;
  /** Per-step outputs (`loss`, `correct`), fetched as `steps.<name>` `[K]`. */
  perStep: string[];
  /** Parameters fed by name, as to a single step: those neither trained nor carried. */
  params: string[];
}

/**
 * Element-wise ops whose value on a `[K]` vector is, element by element, exactly their value on each
 * scalar: correctly rounded IEEE arithmetic, casts, and `Pow` (std::pow per element either way).
 * Not `Exp` or `Log`: onnxruntime may approximate them differently in vector and scalar code.
 */
const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt', 'Cast', 'Neg', 'Reciprocal', 'Abs']);

/**
 * K training steps in one session run: the train-step graph as the body of an ONNX `Scan` that carries
 * the flat group buffers and batch-norm statistics from step to step and slices the stacked per-step
 * inputs (batch, dropout masks, step number, learning rates). The body holds the step graph's very
 * nodes, so each step computes exactly what a single step computes. Three things move:
 * - the trained parameters, which a single step is fed as views of the flat buffer, are sliced from
 *   the carried buffer (the same values);
 * - nodes that depend only on the step number and learning rates (Adam's bias corrections, step size)
 *   run once, element-wise over the K steps, before the Scan: the same arithmetic, fewer nodes per step;
 * - nodes that depend only on the batch's shape (`1/N`), the same for every step of a run (its
 *   batches are all of one size), run once before the Scan.
 */
export function buildMultiStepGraph(train: TrainGraph): MultiStepGraph {
  const step = train.model.graph!;
  const inputs = new Map((step.input ?? []).map((i) => [i.name, i]));
  const initializers = new Map((step.initializer ?? []).map((t) => [t.name!, t]));
  const carried = [
    ...train.groups.flatMap((g) => g.buffers.map((b) => ({ input: b.input, output: b.output }))),
    ...train.statistics.map((s) => ({ input: s.name, output: s.output })),
  ];
  const sliced = new Map(
    train.groups.flatMap((g) =>
      g.layout.entries.map((e) => [e.name, { ...e, buffer: g.buffers.find((b) => b.buffer === PARAMS_BUFFER)!.input }] as const),
    ),
  );
  const scalarInputs = new Set([TRAIN_IO.step, ...train.groups.map((g) => g.lr)]);
  const batchInputs = [...inputs.keys()].filter(
    (name) => name === 'x' || name === 'target' || name === 'teacher' || train.masks.some((m) => m.input === name),
  );
  const hoisted = hoist(step.node ?? [], { scalarInputs, batchInputs: new Set(batchInputs), initializers });
  const body = (step.node ?? []).filter((n) => !hoisted.nodes.has(n));
  const readInBody = new Set([...body.flatMap((n) => n.input), ...(step.output ?? []).map((o) => o.name)]);
  // Per-step scalars the loop still reads: hoisted values and the raw step/lr inputs alike.
  const scalarsInBody = [...scalarInputs, ...hoisted.types.keys()].filter((name) => readInBody.has(name));
  const scanInputs = [...batchInputs, ...scalarsInBody];
  const perStep = (step.output ?? []).map((o) => o.name).filter((name) => !carried.some((c) => c.output === name));

  const prelude: NodeProto[] = [];
  // Constants only hoisted nodes read stay out of the body (onnxruntime warns about unused ones).
  const bodyInitializers = [...initializers.values()].filter((t) => readInBody.has(t.name!));
  for (const [name, entry] of sliced) {
    const flat = `${name}.flat`;
    bodyInitializers.push(int64s(`${name}.begin`, [entry.offset]), int64s(`${name}.end`, [entry.offset + entry.size]));
    const reshaped = entry.shape.length !== 1;
    prelude.push(node('Slice', [entry.buffer, `${name}.begin`, `${name}.end`], [reshaped ? flat : name], `slice_${name}`));
    if (reshaped) {
      bodyInitializers.push(int64s(`${name}.shape`, entry.shape));
      prelude.push(node('Reshape', [flat, `${name}.shape`], [name], `reshape_${name}`));
    }
  }
  const scalarInfo = (name: string): ValueInfoProto => inputs.get(name) ?? valueInfo(name, hoisted.types.get(name)!, []);
  const bodyGraph: GraphProto = {
    name: 'train_step_body',
    node: [...prelude, ...body],
    initializer: bodyInitializers,
    input: [...carried.map((c) => inputs.get(c.input)!), ...batchInputs.map((n) => inputs.get(n)!), ...scalarsInBody.map(scalarInfo)],
    output: [...carried.map((c) => outputInfo(step, c.output)), ...perStep.map((n) => outputInfo(step, n))],
  };
  const scan: NodeProto = {
    opType: 'Scan',
    name: 'train_steps',
    input: [...carried.map((c) => MULTI_IO.initial + c.input), ...scanInputs.map((n) => MULTI_IO.stacked + n)],
    output: [...carried.map((c) => MULTI_IO.final + c.output), ...perStep.map((n) => MULTI_IO.steps + n)],
    attribute: [
      { name: 'body', type: AttributeType.GRAPH, g: bodyGraph },
      ...encodeAttributes({ num_scan_inputs: int(scanInputs.length) }),
    ],
  };
  // Everything the body reads from outside: the parameters neither trained nor carried (frozen ones).
  const outer = (step.input ?? []).filter(
    (i) => !sliced.has(i.name) && !carried.some((c) => c.input === i.name) && !batchInputs.includes(i.name) && !scalarInputs.has(i.name),
  );
  const graph: GraphProto = {
    name: 'train_steps',
    node: [...hoisted.outerNodes, scan],
    initializer: hoisted.outerInitializers,
    input: [
      ...outer,
      ...carried.map((c) => ({ ...inputs.get(c.input)!, name: MULTI_IO.initial + c.input })),
      ...batchInputs.map((n) => stackedInfo(inputs.get(n)!)),
      ...[...scalarInputs].map((n) => stackedInfo(inputs.get(n)!)),
    ],
    output: [
      ...carried.map((c) => ({ ...outputInfo(step, c.output), name: MULTI_IO.final + c.output })),
      ...perStep.map((n) => stackedInfo({ ...outputInfo(step, n), name: n }, MULTI_IO.steps)),
    ],
  };
  return { model: { ...train.model, graph }, perStep, params: outer.map((i) => i.name) };
}

interface Hoisted {
  /** Nodes taken out of the loop body, per-step and invariant alike. */
  nodes: Set<NodeProto>;
  /** Element type of each hoisted value. */
  types: Map<string, number>;
  /**
   * The hoisted nodes as they run before the Scan: per-step ones over `[K]` vectors (reading
   * `stacked.<input>`, writing `stacked.<value>`), invariant ones once (keeping their names, which
   * the body reads from the outer scope); constants they read are copied as `hoisted.<name>`.
   */
  outerNodes: NodeProto[];
  outerInitializers: TensorProto[];
}

/** What {@link hoist} needs to know about the step graph's values. */
interface HoistContext {
  /** Per-step scalar inputs: the step number and the groups' learning rates. */
  scalarInputs: ReadonlySet<string>;
  /** Per-step batch inputs (x, target, masks): their shapes are the same at every step of a run. */
  batchInputs: ReadonlySet<string>;
  initializers: ReadonlyMap<string, TensorProto>;
}

/**
 * The nodes that can leave the loop body: those reading only the batch's shape (loop-invariant) and
 * the element-wise ones reading only per-step scalars and scalar constants (computed for all steps at once).
 */
function hoist(nodes: readonly NodeProto[], { scalarInputs, batchInputs, initializers }: HoistContext): Hoisted {
  const types = new Map<string, number>([...scalarInputs].map((n) => [n, DataType.FLOAT]));
  const invariant = new Set<string>();
  const hoisted: Hoisted = { nodes: new Set(), types: new Map(), outerNodes: [], outerInitializers: [] };
  const constant = (i: string): string => {
    const name = `hoisted.${i}`;
    if (!hoisted.outerInitializers.some((t) => t.name === name)) hoisted.outerInitializers.push({ ...initializers.get(i)!, name });
    return name;
  };
  for (const n of nodes) {
    const name = `hoisted.${n.name ?? n.output[0]}`;
    if (n.opType === 'Shape' && batchInputs.has(n.input[0]!) && (n.attribute ?? []).length === 0) {
      // The shape of one step's slice: the stacked input's without its leading K.
      hoisted.outerNodes.push({ ...n, name, input: [MULTI_IO.stacked + n.input[0]!], attribute: encodeAttributes({ start: int(1) }) });
    } else if (n.input.some((i) => invariant.has(i)) && n.input.every((i) => invariant.has(i) || initializers.has(i))) {
      hoisted.outerNodes.push({ ...n, name, input: n.input.map((i) => (invariant.has(i) ? i : constant(i))) });
    } else {
      const perStep = n.input.filter((i) => types.has(i));
      const scalarConstant = (i: string): boolean => (initializers.get(i)?.dims ?? [0]).length === 0;
      if (
        !ELEMENTWISE.has(n.opType) ||
        n.output.length !== 1 ||
        perStep.length === 0 ||
        !n.input.every((i) => types.has(i) || scalarConstant(i))
      )
        continue;
      // Every op here but Cast yields its first input's type (Pow: the base's).
      const first = n.input[0]!;
      const type =
        n.opType === 'Cast'
          ? Number(n.attribute!.find((a) => a.name === 'to')!.i)
          : (types.get(first) ?? initializers.get(first)!.dataType!);
      types.set(n.output[0]!, type);
      hoisted.types.set(n.output[0]!, type);
      hoisted.outerNodes.push({
        ...n,
        name,
        input: n.input.map((i) => (types.has(i) ? MULTI_IO.stacked + i : constant(i))),
        output: [MULTI_IO.stacked + n.output[0]!],
      });
      hoisted.nodes.add(n);
      continue;
    }
    for (const output of n.output) invariant.add(output);
    hoisted.nodes.add(n);
  }
  return hoisted;
}

function node(opType: string, input: string[], output: string[], name: string): NodeProto {
  return { opType, input, output, name, attribute: [] };
}

function int64s(name: string, values: readonly number[]): TensorProto {
  return { name, dims: [values.length], dataType: DataType.INT64, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) };
}

function valueInfo(name: string, elemType: number, dims: (number | string)[]): ValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  };
}

/** The `[K, ...shape]` input or output holding a value of every step. */
function stackedInfo(info: ValueInfoProto, prefix: string = MULTI_IO.stacked): ValueInfoProto {
  const tensor = info.type!.tensorType!;
  return {
    name: prefix + info.name,
    type: { tensorType: { elemType: tensor.elemType!, shape: { dim: [{ dimParam: 'K' }, ...(tensor.shape?.dim ?? [])] } } },
  };
}

function outputInfo(graph: GraphProto, name: string): ValueInfoProto {
  return graph.output!.find((o) => o.name === name)!;
}
