import { HeadstartError, inferShapes, MODEL_INPUT, outputShape, type Layer, type ModelSpec, type NamedTensors } from '@headstart/core';
import { GraphDefBuilder, type GraphConstant } from './graph-def-builder.js';
import { tensorShape, tfDataType, type GraphDefJson, type SignatureJson } from './graph-def.js';
import type { EmitContext, LayerEmitter } from './graph-emitter.js';
import { GRAPH_EMITTERS } from './graph-layer-emitters.js';

/** The signature key of a graph model's one output, as the onnx export names its output. */
export const GRAPH_OUTPUT = 'output';
/** The input of a spec without named inputs, as the onnx export names it. */
const PLAIN_INPUT = 'x';

/** A spec and weights as a TensorFlow graph: its nodes, the constants they read and the signature. */
export interface GraphModel {
  graph: GraphDefJson;
  constants: GraphConstant[];
  signature: SignatureJson;
}

/**
 * The inference graph of `spec` with `weights` as constants: one Placeholder per named input
 * (`[-1, ...shape]`, its dtype), the layers in core's topological order, and the model's output
 * (probabilities when it ends in softmax, as the onnx export) as `output`.
 * @throws HeadstartError (NOT_SUPPORTED) naming the first layer whose type has no emitter.
 */
export function buildGraphModel(spec: ModelSpec, weights: NamedTensors): GraphModel {
  refuseInexpressible(spec);
  const g = new GraphDefBuilder();
  const signature: SignatureJson = { inputs: {}, outputs: {} };
  const values = new Map<string, string>();
  // Named inputs keep their names, even one called `input`, as in the onnx export.
  const inputs = spec.inputs ?? [{ name: MODEL_INPUT, shape: spec.inputShape, dtype: 'float32' as const }];
  for (const input of inputs) {
    const key = spec.inputs ? input.name : PLAIN_INPUT;
    const shape = [-1, ...input.shape];
    const node = g.placeholder(key, shape, input.dtype);
    values.set(input.name, node);
    signature.inputs[key] = { name: `${node}:0`, dtype: tfDataType(input.dtype), tensorShape: tensorShape(shape) };
  }
  const ctx: EmitContext = { g, param: constantsOf(g, weights) };
  for (const node of inferShapes(spec)) {
    const emit = GRAPH_EMITTERS[node.layer.type] as LayerEmitter<Layer['type']>;
    values.set(
      node.layer.name,
      emit(
        ctx,
        node.layer,
        node.inputs.map((name) => values.get(name)!),
        node,
      ),
    );
  }
  const output = g.op(GRAPH_OUTPUT, 'Identity', [values.get(spec.layers.at(-1)!.name)!]);
  signature.outputs[GRAPH_OUTPUT] = { name: `${output}:0`, dtype: 'DT_FLOAT', tensorShape: tensorShape([-1, ...outputShape(spec)]) };
  return { graph: g.toGraphDef(), constants: g.constants, signature };
}

/** Each parameter as one Const node named after it, added when a layer first reads it. */
function constantsOf(g: GraphDefBuilder, weights: NamedTensors): EmitContext['param'] {
  const nodes = new Map<string, string>();
  return (layer, name) => {
    const key = `${layer.name}.${name}`;
    let node = nodes.get(key);
    if (node === undefined) {
      const tensor = weights.get(key);
      if (!tensor) throw new HeadstartError('BAD_INPUT', `layer "${layer.name}": parameter ${key} is missing from the weights`);
      node = g.constant(key, tensor.shape, tensor.data);
      nodes.set(key, node);
    }
    return node;
  };
}

function refuseInexpressible(spec: ModelSpec): void {
  const layer = spec.layers.find((l) => GRAPH_EMITTERS[l.type] === undefined);
  if (layer)
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `layer "${layer.name}": type ${layer.type}: the tfjs graph-model export (for models with named inputs or sequence layers) has no ops for it yet; export with --format onnx`,
    );
}
