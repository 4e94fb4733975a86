import {
  createRng,
  HeadstartError,
  opaqueLayers,
  sizeOf,
  validateSpec,
  type ModelSpec,
  type NamedTensors,
  type OnnxLayer,
} from '@headstart/core';
import { ints } from '../onnx/attributes.js';
import { GraphBuilder, OPSET, type Dim } from '../compiler/graph-builder.js';
import { emitPrediction, IO } from '../compiler/inference-graph.js';
import { graphInput, type GraphInput } from './onnx-graph-mapper.js';
import { decodeModel, encodeModel, type ModelProto, type ValueInfoProto } from '../onnx/onnx-proto.js';
import { graphParts, spliceModel } from './onnx-splice.js';
import { rewriteGraph } from '../onnx/onnx-wire.js';
import { blockGraphBytes, OpaqueBlock } from '../runtime/opaque-block.js';
import { defaultDomainVersion, mergeOpsets, raiseReductions } from './opset-merge.js';
import { TO_NCHW, TO_NHWC } from '../compiler/ops/shape-ops.js';
import type { SessionSettings } from '../runtime/session.js';
import { VERSION } from '../version.js';

/**
 * Metadata key prefix for parameters that are not initializers of an exported graph: an opaque
 * block's `<layer>.graph` rides as `headstart.param.<layer>.graph`, its ONNX bytes in base64, so that
 * importing the file restores the checkpoint exactly.
 */
export const PARAMETER_METADATA_PREFIX = 'headstart.param.';

/** Relative difference up to which a probe's batched run counts as equal to the block's own runs. */
const BATCH_PROBE_TOLERANCE = 1e-4;

/**
 * The ONNX inference model of `spec`, whose first layer is an opaque ONNX block: the block's graph
 * spliced in front of the graph of the layers after it, so onnxruntime runs the whole model as one.
 * Input `x` `[N, ...inputShape]` channels-last and output `output`, as every exported model has.
 *
 * - The block's values and nodes get the prefix `<layer>/` (its input becomes `x` or the NCHW
 *   transpose of `x`), its nodes, initializers, functions and opset imports are copied at the
 *   protobuf wire level, and the opsets are merged (see {@link mergeOpsets}).
 * - Layouts as {@link OpaqueBlock} converts them: an image input goes to the block as NCHW, an
 *   image output (`outputShape` `[H, W, C]`) comes back channels-last.
 * - A block exported with a fixed batch size gets a symbolic batch when a probe shows it computes
 *   each sample alone with another batch size; otherwise `x` keeps that fixed batch size.
 * @throws HeadstartError (NOT_SUPPORTED) for an opaque block that is not the only one or not first, or
 * opsets that cannot merge; (BAD_INPUT) when the block's graph is not a model onnxruntime runs.
 */
export async function opaqueInferenceModel(
  spec: ModelSpec,
  weights: NamedTensors,
  settings: SessionSettings,
  metadata: Record<string, string>,
): Promise<Uint8Array> {
  const layer = firstBlock(spec);
  const graphName = `${layer.name}.graph`;
  const graphTensor = weights.get(graphName);
  if (!graphTensor)
    throw new HeadstartError('BAD_INPUT', `cannot export: the weights lack "${graphName}", the ONNX graph of opaque layer "${layer.name}"`);
  const original = blockGraphBytes(layer, graphTensor);
  const block = decodeBlock(layer, original);
  const input = graphInput(`layer "${layer.name}"`, block.graph!);
  const output = block.graph!.output?.length === 1 ? block.graph!.output[0]! : undefined;
  if (!output)
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `cannot export: the ONNX graph of layer "${layer.name}" has ${block.graph!.output?.length ?? 0} outputs; a block has one`,
    );
  const batch = input.fixedBatch === undefined ? { bytes: original } : await probeBatch(settings, layer, original, block, input, output);

  const prefix = `${layer.name}/`;
  const feed = layer.inputShape.length === 3 ? `${prefix}${input.name}` : IO.x;
  const renaming = { value: (name: string) => (name === input.name ? feed : prefix + name), node: (name: string) => prefix + name };
  const parts = graphParts(batch.bytes, renaming, (name) => name !== input.name);
  const b = new GraphBuilder('headstart');
  b.reserve([...parts.names].filter((name) => name !== feed));
  const blockOutput = renaming.value(output.name);
  emitAroundBlock(b, spec, weights, { feed, output: blockOutput, outputDims: declaredDims(output), batch: batch.fixedBatch ?? 'N' });

  const model = b.toModel(VERSION, { ...metadata, [`${PARAMETER_METADATA_PREFIX}${graphName}`]: Buffer.from(original).toString('base64') });
  mergeBlockOpsets(model, block, layer, (hint) => b.fresh(hint));
  const insertAt = model.graph!.node!.findIndex((node) => node.input.includes(blockOutput));
  return spliceModel(encodeModel(model), parts, insertAt < 0 ? model.graph!.node!.length : insertAt);
}

/**
 * Our part of the exported graph, around the block's nodes spliced in later: `x`, its transpose to
 * the block's input `feed` for images, and from the block's `output` on, the layers after the block.
 */
function emitAroundBlock(
  b: GraphBuilder,
  spec: ModelSpec,
  weights: NamedTensors,
  block: { feed: string; output: string; outputDims: (number | undefined)[]; batch: Dim },
): void {
  const layer = spec.layers[0] as OnnxLayer;
  const n = block.batch;
  const x = b.input(IO.x, [n, ...spec.inputShape]);
  if (layer.inputShape.length === 3) {
    const [h, w, c] = layer.inputShape as [number, number, number];
    if (b.op('Transpose', [x], { perm: ints(TO_NCHW) }, [n, c, h, w], block.feed) !== block.feed)
      throw new Error(`the block's input "${block.feed}" was renamed`);
  }
  const features = channelsLast(b, b.declare(block.output, [n, ...layer.outputShape]), block.outputDims, layer.outputShape, n);
  const tail =
    spec.layers.length > 1
      ? validateSpec({ inputShape: layer.outputShape, layers: spec.layers.slice(1) }, 'the layers after the opaque ONNX block')
      : undefined;
  b.output(tail ? emitPrediction(b, tail, features, weights) : features, IO.output);
}

function firstBlock(spec: ModelSpec): OnnxLayer {
  const blocks = opaqueLayers(spec.layers);
  if (blocks.length !== 1 || spec.layers[0] !== blocks[0]) {
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `cannot export: only a model whose first layer is its one opaque ONNX block exports to onnx; this one has ${blocks.map((l) => `"${l.name}"`).join(', ')}`,
    );
  }
  return blocks[0]!;
}

function decodeBlock(layer: OnnxLayer, bytes: Uint8Array): ModelProto {
  try {
    const model = decodeModel(bytes);
    if (!model.graph) throw new Error('no graph');
    return model;
  } catch (error) {
    throw new HeadstartError(
      'BAD_INPUT',
      `cannot export: parameter "${layer.name}.graph" is not an ONNX model (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

/** The block's output as the layers after it read it: `[N, ...outputShape]`, an image channels-last. */
function channelsLast(b: GraphBuilder, value: string, declared: (number | undefined)[], outputShape: number[], n: Dim): string {
  // The session path only checks the output's size, so a reshape makes anything else of that size fit.
  const reshaped = (dims: number[]): string =>
    sameDims(declared.slice(1), dims) ? value : b.op('Reshape', [value, b.int64s([-1, ...dims])], {}, [n, ...dims], 'block_output');
  if (outputShape.length !== 3) return reshaped(outputShape);
  const [h, w, c] = outputShape as [number, number, number];
  return b.op('Transpose', [reshaped([c, h, w])], { perm: ints(TO_NHWC) }, [n, h, w, c], 'block_nhwc');
}

/** The model's opset imports merged with the block's; our reductions are rewritten if the default domain rises past 17. */
function mergeBlockOpsets(model: ModelProto, block: ModelProto, layer: OnnxLayer, fresh: (hint: string) => string): void {
  const blockOpsets = block.opsetImport ?? [];
  raiseReductions(model.graph!, Math.max(OPSET, defaultDomainVersion(blockOpsets) ?? 0), fresh);
  model.opsetImport = mergeOpsets(
    // Function bodies count as the block's nodes: a function's opsets must agree with the model's.
    {
      name: `layer "${layer.name}" (an opaque ONNX block)`,
      opsets: blockOpsets,
      nodes: [...(block.graph!.node ?? []), ...(block.functions ?? []).flatMap((f) => f.node ?? [])],
    },
    { name: 'the graph of the layers after it', opsets: model.opsetImport ?? [], nodes: model.graph!.node ?? [] },
    `export the original model with opset ${OPSET} (the one headstart writes) and import it again`,
  );
  model.irVersion = Math.max(model.irVersion ?? 0, Number(block.irVersion ?? 0));
}

/**
 * A block exported with a fixed batch size B: its graph with a symbolic batch when that computes
 * B + 1 random samples as the block computes them in runs of B (what {@link OpaqueBlock} does);
 * otherwise the graph as it is, to be fed B samples a run.
 */
async function probeBatch(
  settings: SessionSettings,
  layer: OnnxLayer,
  bytes: Uint8Array,
  block: ModelProto,
  input: GraphInput,
  output: ValueInfoProto,
): Promise<{ bytes: Uint8Array; fixedBatch?: number | undefined }> {
  const graph = block.graph!;
  const inputInfo = graph.input!.find((i) => i.name === input.name)!;
  const symbolic = rewriteGraph(bytes, graph, {
    node: () => true,
    initializer: () => true,
    input: (name) => name !== input.name,
    // Shape hints of intermediate values may carry the fixed batch size.
    valueInfo: () => false,
    inputs: [withSymbolicBatch(inputInfo)],
    outputs: [withSymbolicBatch(output)],
  });
  const samples = input.fixedBatch! + 1;
  const rng = createRng(7);
  const x = Float32Array.from({ length: samples * sizeOf(layer.inputShape) }, () => rng.next());
  const fixed = await OpaqueBlock.create(settings, layer, asTensor(bytes));
  let free: OpaqueBlock | undefined;
  try {
    const want = await fixed.run(x, samples);
    free = await OpaqueBlock.create(settings, { ...layer, graphBytes: symbolic.length }, asTensor(symbolic), { quiet: true });
    const got = await free.run(x, samples);
    const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
    if (want.every((v, i) => Math.abs(v - got[i]!) <= BATCH_PROBE_TOLERANCE * scale)) return { bytes: symbolic };
  } catch {
    // The graph does not run with another batch size (a shape baked into a Reshape, say): keep it fixed.
  } finally {
    fixed.release();
    free?.release();
  }
  return { bytes, fixedBatch: input.fixedBatch! };
}

function withSymbolicBatch(value: ValueInfoProto): ValueInfoProto {
  const tensor = value.type?.tensorType;
  const dims = tensor?.shape?.dim;
  if (!tensor || !dims?.length) return value;
  return { name: value.name, type: { tensorType: { ...tensor, shape: { dim: [{ dimParam: 'N' }, ...dims.slice(1)] } } } };
}

function declaredDims(value: ValueInfoProto): (number | undefined)[] {
  return (value.type?.tensorType?.shape?.dim ?? []).map((d) =>
    d.dimValue !== undefined && Number(d.dimValue) > 0 ? Number(d.dimValue) : undefined,
  );
}

function sameDims(a: readonly (number | undefined)[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function asTensor(bytes: Uint8Array): { shape: number[]; data: Float32Array } {
  return { shape: [bytes.length], data: Float32Array.from(bytes) };
}
