import { encodeAttributes, type Attributes } from '../onnx/attributes.js';
import { DataType, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from '../onnx/onnx-proto.js';

/** A dimension: a fixed size, or `'N'`, the batch size (symbolic in the graph). */
export type Dim = number | 'N';

/** ONNX opset of the default domain that every graph we build imports. */
export const OPSET = 17;

/** Element types this builder declares. */
export type ElementType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool';

const ELEMENT_CODES: Record<ElementType, number> = {
  float32: DataType.FLOAT,
  float64: DataType.DOUBLE,
  int64: DataType.INT64,
  int32: DataType.INT32,
  bool: DataType.BOOL,
};

/**
 * Builds one ONNX graph: nodes in topological order, initializers, inputs and outputs, with unique
 * value names and a static shape for every value (the batch dimension symbolic) so that gradient
 * rules can reason about broadcasting.
 */
export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly shapes = new Map<string, Dim[]>();
  private readonly types = new Map<string, ElementType>();
  private readonly used = new Set<string>();
  private readonly constants = new Map<string, string>();
  private readonly producers = new Map<string, NodeProto>();
  private readonly renames = new Map<string, string>();
  private readonly exposed = new Set<string>();

  constructor(readonly graphName = 'headstart') {}

  /** A value name not used yet, derived from `hint`. */
  fresh(hint: string): string {
    let name = hint;
    for (let i = 1; this.used.has(name); i++) name = `${hint}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Keep names that another graph spliced into this one uses (see `interop/onnx-splice.ts`) from being given out. */
  reserve(names: Iterable<string>): void {
    for (const name of names) this.used.add(name);
  }

  /**
   * Declare a value that a node outside this builder computes (a spliced graph's output), so that
   * ops can read it; the name is kept as given and must have been reserved.
   */
  declare(name: string, shape: Dim[], type: ElementType = 'float32'): string {
    if (!this.used.has(name)) throw new Error(`graph value "${name}" is declared without being reserved`);
    this.record(name, shape, type);
    return name;
  }

  /** Declare a graph input; the name is kept as given. */
  input(name: string, shape: Dim[], type: ElementType = 'float32'): string {
    if (this.used.has(name)) throw new Error(`graph value "${name}" is declared twice`);
    this.used.add(name);
    this.record(name, shape, type);
    this.inputs.push(valueInfo(name, shape, type));
    return name;
  }

  /**
   * Expose `value` as a graph output called `name`. A value computed by a node is renamed (an
   * Identity would copy the tensor on every run); graph inputs, initializers and values already
   * exposed go through an Identity.
   */
  output(value: string, name = value): string {
    let exposed = value;
    if (value !== name) {
      const producer = this.producers.get(value);
      if (producer && !this.exposed.has(value)) {
        if (this.used.has(name)) throw new Error(`graph value "${name}" is declared twice`);
        this.used.add(name);
        this.renames.set(value, name);
        producer.output = producer.output.map((o) => (o === value ? name : o));
        this.record(name, this.shapeOf(value), this.typeOf(value));
        exposed = name;
      } else {
        exposed = this.op('Identity', [value], {}, this.shapeOf(value), name, this.typeOf(value));
      }
    }
    this.exposed.add(value);
    this.exposed.add(exposed);
    this.outputs.push(valueInfo(exposed, this.shapeOf(exposed), this.typeOf(exposed)));
    return exposed;
  }

  /** A constant tensor stored in the graph. */
  initializer(hint: string, data: Float32Array | Float64Array | BigInt64Array | Int32Array, shape: number[]): string {
    const name = this.fresh(hint);
    const type: ElementType =
      data instanceof Float32Array ? 'float32' : data instanceof Float64Array ? 'float64' : data instanceof Int32Array ? 'int32' : 'int64';
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.initializers.push({ name, dims: shape, dataType: ELEMENT_CODES[type], rawData: new Uint8Array(bytes) });
    this.record(name, shape, type);
    return name;
  }

  /** A float scalar constant (shape `[]`), shared between uses. */
  scalar(value: number): string {
    return this.cached(`f:${value}`, () => this.initializer('const', Float32Array.of(value), []));
  }

  /** A float64 scalar constant (for step-count arithmetic that float32 would round badly). */
  scalar64(value: number): string {
    return this.cached(`d:${value}`, () => this.initializer('const64', Float64Array.of(value), []));
  }

  /** A 1-D float constant of `length` copies of `value` (per-channel ones and zeros), shared between uses. */
  filled(value: number, length: number): string {
    return this.cached(`F:${value}x${length}`, () => this.initializer('fill', new Float32Array(length).fill(value), [length]));
  }

  /** A 1-D int64 constant (axes, shapes, slice bounds), shared between uses. */
  int64s(values: readonly number[]): string {
    return this.cached(`i:${values.join(',')}`, () => this.initializer('ints', BigInt64Array.from(values.map(BigInt)), [values.length]));
  }

  /** A 1-D int32 constant (compared with int32 token ids), shared between uses. */
  int32s(values: readonly number[]): string {
    return this.cached(`i32:${values.join(',')}`, () => this.initializer('ints32', Int32Array.from(values), [values.length]));
  }

  /**
   * Append a node with one output and return the output's name.
   * @param shape the output's shape (the caller knows it; ONNX shape inference is not run here).
   */
  op(
    opType: string,
    inputs: string[],
    attributes: Attributes,
    shape: Dim[],
    hint = opType.toLowerCase(),
    type: ElementType = 'float32',
  ): string {
    return this.opMulti(opType, inputs, attributes, [{ shape, hint, type }])[0]!;
  }

  /** Append a node with several outputs; returns their names. An empty hint leaves an output unused. */
  opMulti(
    opType: string,
    inputs: string[],
    attributes: Attributes,
    outs: { shape: Dim[]; hint: string; type?: ElementType | undefined }[],
  ): string[] {
    const names = outs.map((o) => {
      const name = this.fresh(o.hint);
      this.record(name, o.shape, o.type ?? 'float32');
      return name;
    });
    const node: NodeProto = {
      opType,
      input: inputs,
      output: names,
      name: this.fresh(`n_${opType}`),
      attribute: encodeAttributes(attributes),
    };
    this.nodes.push(node);
    for (const name of names) this.producers.set(name, node);
    return names;
  }

  /** Element-wise unary op: output shaped like the input. */
  unary(opType: string, x: string, attributes: Attributes = {}): string {
    return this.op(opType, [x], attributes, this.shapeOf(x));
  }

  /** Element-wise binary op with numpy broadcasting. */
  binary(opType: 'Add' | 'Sub' | 'Mul' | 'Div' | 'Pow', a: string, b: string): string {
    return this.op(opType, [a, b], {}, broadcastShapes(this.shapeOf(a), this.shapeOf(b)));
  }

  /** Shape of a value this builder made or declared. */
  shapeOf(value: string): Dim[] {
    const shape = this.shapes.get(value);
    if (!shape) throw new Error(`graph value "${value}" has no known shape`);
    return shape;
  }

  /** Element type of a value. */
  typeOf(value: string): ElementType {
    return this.types.get(value) ?? 'float32';
  }

  /** The finished model. */
  toModel(producerVersion: string, metadata: Record<string, string> = {}): ModelProto {
    return {
      irVersion: 8,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'headstart',
      producerVersion,
      graph: {
        name: this.graphName,
        node: this.nodes.map((n) => this.renamed(n)),
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    };
  }

  /** A node whose inputs follow the renames {@link output} made. */
  private renamed(node: NodeProto): NodeProto {
    if (!node.input.some((i) => this.renames.has(i))) return node;
    return { ...node, input: node.input.map((i) => this.renames.get(i) ?? i) };
  }

  private record(name: string, shape: Dim[], type: ElementType): void {
    this.shapes.set(name, shape);
    this.types.set(name, type);
  }

  private cached(key: string, make: () => string): string {
    let name = this.constants.get(key);
    if (!name) this.constants.set(key, (name = make()));
    return name;
  }
}

/** Numpy broadcasting of two static shapes. */
export function broadcastShapes(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    out.push(da === 1 ? db : da);
  }
  return out;
}

function valueInfo(name: string, shape: Dim[], type: ElementType): ValueInfoProto {
  const dim = shape.map((d) => (d === 'N' ? { dimParam: 'N' } : { dimValue: d }));
  return { name, type: { tensorType: { elemType: ELEMENT_CODES[type], shape: { dim } } } };
}
