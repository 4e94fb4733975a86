import { HeadstartError, opaqueLayers, type Model } from '@headstart/core';
import { writeFile } from 'node:fs/promises';
import { buildPredictGraph } from './inference-graph.js';
import { encodeModel } from './onnx-proto.js';

/** Metadata key under which an exported model carries its ModelSpec (JSON), so import is exact. */
export const SPEC_METADATA_KEY = 'headstart.spec';

/**
 * Write `model` as a self-contained ONNX inference model: input `x` `[N, ...inputShape]`
 * (channels-last), output `output` (probabilities when the model ends in softmax), weights as
 * initializers. Works for a model of any backend, as it only reads the spec and weights.
 * @throws HeadstartError (USAGE) for a format other than `onnx`; (NOT_SUPPORTED) for a model with an
 * opaque ONNX block, which would have to be spliced into the exported graph.
 */
export async function exportOnnxModel(model: Model, format: string, file: string): Promise<void> {
  if (format !== 'onnx') throw new HeadstartError('USAGE', `the onnx backend exports format "onnx", not "${format}"`);
  const [opaque] = opaqueLayers(model.spec.layers);
  if (opaque) throw new HeadstartError('NOT_SUPPORTED', `cannot export to onnx yet: layer ${opaque.name} is an opaque ONNX block (op ${opaque.unsupported.op}); the model it was imported from still runs as it is`);
  const proto = buildPredictGraph(model.spec, await model.getWeights());
  proto.metadataProps = [{ key: SPEC_METADATA_KEY, value: JSON.stringify(model.spec) }];
  await writeFile(file, encodeModel(proto));
}
