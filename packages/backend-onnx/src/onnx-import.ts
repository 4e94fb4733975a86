import { HeadstartError, parameterShapes, validateSpec, type ModelSpec, type NamedTensors } from '@headstart/core';
import { readFile } from 'node:fs/promises';
import { SPEC_METADATA_KEY } from './export-model.js';
import { mapOnnxGraph } from './onnx-graph-mapper.js';
import { decodeModel, type ModelProto } from './onnx-proto.js';
import { tensorValues } from './onnx-tensor.js';

/**
 * Read an ONNX model as a ModelSpec and canonical weights. A model this backend exported carries its
 * spec and maps back exactly; any other (a PyTorch export, opset 13–17) is mapped op by op: NCHW
 * inputs become channels-last, conv kernels `[out, in, kh, kw]` become `[kh, kw, in, out]`, and the
 * dense layer after a flatten gets its rows reordered from PyTorch's C,H,W order to our H,W,C order,
 * so the imported model computes the same function on channels-last data.
 * @throws HeadstartError (BAD_INPUT) for a file that is not ONNX; (NOT_SUPPORTED) naming the op and
 * node that has no headstart layer.
 */
export async function importOnnxModel(file: string): Promise<{ spec: ModelSpec; weights: NamedTensors }> {
  const model = parse(file, await readFile(file));
  const embedded = model.metadataProps?.find((p) => p.key === SPEC_METADATA_KEY);
  if (embedded) return exactImport(file, model, embedded.value);
  return mapOnnxGraph(file, model);
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

function exactImport(file: string, model: ModelProto, specJson: string): { spec: ModelSpec; weights: NamedTensors } {
  const spec = validateSpec(JSON.parse(specJson), `${file}: embedded spec`);
  const initializers = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const weights: NamedTensors = new Map();
  for (const p of parameterShapes(spec)) {
    const t = initializers.get(p.name);
    if (!t) throw new HeadstartError('BAD_INPUT', `${file}: parameter "${p.name}" of the embedded spec has no initializer`);
    weights.set(p.name, { shape: [...p.shape], data: tensorValues(t) });
  }
  return { spec, weights };
}
