import { decodeAttributes, type Attributes } from '../onnx/attributes.js';
import type { GraphProto, NodeProto } from '../onnx/onnx-proto.js';
import type { Constants } from './onnx-constants.js';

/** A node of the graph and its position in node order. */
export interface IndexedNode {
  node: NodeProto;
  index: number;
  attributes: Attributes;
}

/**
 * The graph seen from its values, for the patterns that match a subgraph backwards from the node
 * computing its result: which node computes a value, how many nodes read it, which values are
 * stored constants and which are model inputs.
 */
export class GraphIndex {
  private readonly producers = new Map<string, IndexedNode>();
  private readonly readers = new Map<string, number>();
  private readonly modelInputs: ReadonlySet<string>;

  constructor(
    /** The model file, for messages. */
    readonly file: string,
    readonly graph: GraphProto,
    readonly constants: Constants,
    modelInputs: Iterable<string>,
  ) {
    this.modelInputs = new Set(modelInputs);
    (graph.node ?? []).forEach((node, index) => {
      const indexed = { node, index, attributes: decodeAttributes(node.attribute) };
      for (const output of node.output) this.producers.set(output, indexed);
      for (const input of node.input) if (input) this.readers.set(input, (this.readers.get(input) ?? 0) + 1);
    });
    for (const output of graph.output ?? []) this.readers.set(output.name, (this.readers.get(output.name) ?? 0) + 1);
  }

  /** The node computing `value`, when it is `opType` (any op when omitted). */
  producer(value: string | undefined, opType?: string): IndexedNode | undefined {
    const found = value === undefined ? undefined : this.producers.get(value);
    return found && (opType === undefined || found.node.opType === opType) ? found : undefined;
  }

  /** How many nodes (and graph outputs) read `value`. */
  readersOf(value: string): number {
    return this.readers.get(value) ?? 0;
  }

  /** Whether `value` is one of the model's data inputs. */
  isModelInput(value: string): boolean {
    return this.modelInputs.has(value);
  }

  /**
   * The entries of a Reshape's target shape: a stored tensor, or a Concat of pieces (PyTorch's
   * `view(bs, -1, heads, size)`), a computed piece (the batch) as NaN.
   */
  shapeEntries(value: string | undefined): number[] | undefined {
    const stored = value === undefined ? undefined : this.constants.get(value);
    if (stored) return Array.from(stored.values);
    const concat = this.producer(value, 'Concat');
    return concat?.node.input.flatMap((v) => Array.from(this.constants.get(v)?.values ?? [Number.NaN]));
  }

  /** The single number a stored constant holds, or undefined. */
  scalar(value: string | undefined): number | undefined {
    const c = value === undefined ? undefined : this.constants.get(value);
    return c && c.values.length === 1 ? c.values[0] : undefined;
  }
}

/** Whether `a` is `b` within a relative 1e-5 (ONNX stores PyTorch's constants as float32). */
export function near(a: number | undefined, b: number): boolean {
  return a !== undefined && Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));
}
