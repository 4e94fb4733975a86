import { HeadstartError, parameterShapes, sizeOf, validateSpec, type ModelSpec, type NamedTensors } from '@headstart/core';
import { readFile } from 'node:fs/promises';
import { SPEC_METADATA_KEY } from './export-model.js';
import { mapOnnxGraph, UnmappableNode } from './onnx-graph-mapper.js';
import { encoderInputs } from './onnx-encoder-inputs.js';
import { decodeModel, type ModelProto } from '../onnx/onnx-proto.js';
import { tensorValues } from '../onnx/onnx-tensor.js';
import { PARAMETER_METADATA_PREFIX } from './opaque-export.js';
import { importWithOpaqueBase } from './opaque-import.js';
import { requireRuntime } from '../runtime/runtime.js';

/**
 * Read an ONNX model as a ModelSpec and canonical weights. A model this backend exported carries its
 * spec and maps back exactly; any other (a PyTorch export, opset 13–17: torchvision's ResNet and
 * MobileNetV2 included) is mapped node by node onto a graph of layers (see {@link mapOnnxGraph}): NCHW
 * inputs become channels-last, conv kernels `[out, in, kh, kw]` become `[kh, kw, in, out]`, and the
 * dense layer after a flatten gets its rows reordered from PyTorch's C,H,W order to our H,W,C order,
 * so the imported model computes the same function on channels-last data. A graph of token inputs
 * (a BERT/DistilBERT-style encoder: int64 `input_ids` and `attention_mask` `[N, T]`) maps to encoder
 * layers with those named inputs, whole subgraphs (attention, LayerNorm, GELU) matched as one layer.
 * A model with a node that has no headstart layer (an unsupported op) still imports: the nodes up to a cut after it become one opaque ONNX block, a forward-only first layer
 * that holds that part of the model as ONNX bytes, and the nodes after the cut map to layers as
 * above (see {@link importWithOpaqueBase}). The block can serve as a frozen base; training it fails
 * naming the op and node. An encoder with a node that does not map is refused (token inputs cannot
 * feed an opaque block).
 * @throws HeadstartError (BAD_INPUT) for a file that is not ONNX; (NOT_SUPPORTED) for a model whose
 * input or output headstart cannot feed or read.
 */
export async function importOnnxModel(file: string): Promise<{ spec: ModelSpec; weights: NamedTensors }> {
  const bytes = await readFile(file);
  const model = parse(file, bytes);
  const embedded = model.metadataProps?.find((p) => p.key === SPEC_METADATA_KEY);
  if (embedded) return exactImport(file, model, embedded.value);
  try {
    return mapOnnxGraph(file, model);
  } catch (error) {
    // An encoder's token inputs cannot feed an opaque block: its unmapped node is refused.
    if (!(error instanceof UnmappableNode) || encoderInputs(file, model.graph!)) throw error;
    const ort = await requireRuntime().catch((cause: unknown) => {
      throw new HeadstartError(
        'NOT_SUPPORTED',
        `${error.message}; running it as an opaque block needs onnxruntime-node, which could not load (${cause instanceof Error ? cause.message : String(cause)})`,
      );
    });
    return importWithOpaqueBase(file, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), model, error, ort);
  }
}

function parse(file: string, bytes: Uint8Array): ModelProto {
  try {
    const model = decodeModel(bytes);
    if (!model.graph) throw new Error('no graph');
    return model;
  } catch (error) {
    throw new HeadstartError('BAD_INPUT', `${file}: not an ONNX model (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** The embedded spec, and its parameters from the initializers (an opaque block's graph from the metadata). */
function exactImport(file: string, model: ModelProto, specJson: string): { spec: ModelSpec; weights: NamedTensors } {
  const spec = validateSpec(JSON.parse(specJson), `${file}: embedded spec`);
  const initializers = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const metadata = new Map((model.metadataProps ?? []).map((p) => [p.key, p.value]));
  const weights: NamedTensors = new Map();
  for (const p of parameterShapes(spec)) {
    const t = initializers.get(p.name);
    const encoded = metadata.get(`${PARAMETER_METADATA_PREFIX}${p.name}`);
    if (!t && encoded === undefined)
      throw new HeadstartError('BAD_INPUT', `${file}: parameter "${p.name}" of the embedded spec has no initializer`);
    const data = t ? tensorValues(t) : Float32Array.from(Buffer.from(encoded!, 'base64'));
    if (data.length !== sizeOf(p.shape))
      throw new HeadstartError(
        'BAD_INPUT',
        `${file}: parameter "${p.name}" has ${data.length} values; the embedded spec gives it shape [${p.shape}]`,
      );
    weights.set(p.name, { shape: [...p.shape], data });
  }
  return { spec, weights };
}
