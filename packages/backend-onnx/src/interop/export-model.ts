import { HeadstartError, opaqueLayers, writeFileSafely, type Model } from '@headstart/core';
import { buildPredictGraph } from '../compiler/inference-graph.js';
import { encodeModel } from '../onnx/onnx-proto.js';
import { opaqueInferenceModel } from './opaque-export.js';
import { requireRuntime } from '../runtime/runtime.js';

/** Metadata key under which an exported model carries its ModelSpec (JSON), so import is exact. */
export const SPEC_METADATA_KEY = 'headstart.spec';

/**
 * Write `model` as a self-contained ONNX inference model: input `x` `[N, ...inputShape]`
 * (channels-last), or a model's named inputs under their names (`input_ids`, `attention_mask`), output `output` (probabilities when the model ends in softmax), weights as
 * initializers. Works for a model of any backend, as it only reads the spec and weights. A model
 * whose first layer is an opaque ONNX block gets the block's graph spliced in front of the rest
 * (see {@link opaqueInferenceModel}); checking the block's batch size needs onnxruntime-node.
 * The file appears whole or not at all (see core's `writeFileSafely`); its folder is created.
 * @throws HeadstartError (USAGE) for a format other than `onnx`; (NOT_SUPPORTED) for an opaque block
 * that cannot be spliced (not first, opsets that do not merge) or without onnxruntime; FileWriteError
 * (one line naming the file) when it cannot be written (a full disk, a directory in the way).
 */
export async function exportOnnxModel(model: Model, format: string, file: string): Promise<void> {
  if (format !== 'onnx') throw new HeadstartError('USAGE', `the onnx backend exports format "onnx", not "${format}"`);
  const weights = await model.getWeights();
  const metadata = { [SPEC_METADATA_KEY]: JSON.stringify(model.spec) };
  if (opaqueLayers(model.spec.layers).length > 0) {
    const ort = await requireRuntime().catch((error: unknown) => {
      throw new HeadstartError(
        'NOT_SUPPORTED',
        `cannot export an opaque ONNX block without onnxruntime-node: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    await writeFileSafely(file, await opaqueInferenceModel(model.spec, weights, { ort }, metadata));
    return;
  }
  const proto = buildPredictGraph(model.spec, weights);
  proto.metadataProps = Object.entries(metadata).map(([key, value]) => ({ key, value }));
  await writeFileSafely(file, encodeModel(proto));
}
