import { sizeOf } from '@headstart/core';
import { tensorShape, tfDataType, type AttrValueJson, type GraphDefJson, type NodeDefJson } from './graph-def.js';

/** A constant of the graph, stored in the weights file under its node's name. */
export interface GraphConstant {
  name: string;
  shape: number[];
  data: Float32Array | Int32Array;
}

/**
 * Builds a GraphDef node by node. Every method returns the name of the node it added, which later
 * nodes take as an input; names are made unique (`attn1/scores`, `attn1/scores_1`). Constants are
 * `Const` nodes whose values go to the weights file, as `tensorflowjs_converter` stores them.
 */
export class GraphDefBuilder {
  private readonly nodes: NodeDefJson[] = [];
  private readonly names = new Set<string>();
  private readonly shared = new Map<string, string>();
  /** The constants in the order the weights file holds them. */
  readonly constants: GraphConstant[] = [];

  /** A model input of `shape` (`-1` for the batch) and `dtype`, fed by name. */
  placeholder(name: string, shape: readonly number[], dtype: 'float32' | 'int32'): string {
    return this.add(name, 'Placeholder', [], { dtype: { type: tfDataType(dtype) }, shape: { shape: tensorShape(shape) } });
  }

  /** A tensor constant (a weight) named `name`. */
  constant(name: string, shape: readonly number[], data: Float32Array | Int32Array): string {
    if (data.length !== sizeOf(shape)) throw new Error(`constant ${name}: ${data.length} values for shape [${shape}]`);
    const dtype = data instanceof Int32Array ? 'DT_INT32' : 'DT_FLOAT';
    const node = this.add(name, 'Const', [], {
      dtype: { type: dtype },
      value: { tensor: { dtype, tensorShape: tensorShape(shape) } },
    });
    this.constants.push({ name: node, shape: [...shape], data });
    return node;
  }

  /** A float32 scalar, one node per value however often it is used. */
  scalar(value: number): string {
    return this.sharedConstant(`scalar/${value}`, [], Float32Array.of(value));
  }

  /** An int32 vector (an axis list, a shape, a permutation), or an int32 scalar when `scalar`. */
  ints(values: readonly number[], scalar = false): string {
    const key = `ints/${scalar ? 'scalar' : 'vector'}/${values.join(',')}`;
    return this.sharedConstant(key, scalar ? [] : [values.length], Int32Array.from(values));
  }

  /** A node `op` on `inputs`, named `name` (or `name_N` when taken). */
  op(name: string, op: string, inputs: readonly string[], attr: Record<string, AttrValueJson> = {}): string {
    return this.add(name, op, inputs, attr);
  }

  /** The graph as a graph model's `modelTopology`. */
  toGraphDef(): GraphDefJson {
    // The producer version of TensorFlow 2.x GraphDefs; tfjs only records it.
    return { node: this.nodes, library: {}, versions: { producer: 1395 } };
  }

  private sharedConstant(key: string, shape: number[], data: Float32Array | Int32Array): string {
    let node = this.shared.get(key);
    if (node === undefined) {
      node = this.constant(data instanceof Int32Array ? 'const/int' : 'const/float', shape, data);
      this.shared.set(key, node);
    }
    return node;
  }

  private add(name: string, op: string, inputs: readonly string[], attr: Record<string, AttrValueJson>): string {
    let unique = name;
    for (let n = 1; this.names.has(unique); n++) unique = `${name}_${n}`;
    this.names.add(unique);
    this.nodes.push({ name: unique, op, ...(inputs.length > 0 ? { input: [...inputs] } : {}), attr });
    return unique;
  }
}
