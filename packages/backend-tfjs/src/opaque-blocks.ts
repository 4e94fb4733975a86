import { HeadstartError, opaqueLayers, type Layer, type ModelSpec } from '@headstart/core';

/**
 * The error for an opaque ONNX block (a layer of type `onnx`, from importing an ONNX model with ops
 * that have no headstart layer): TensorFlow.js cannot run ONNX, so such a model needs the onnx backend.
 */
export function opaqueBlockError(layer: Extract<Layer, { type: 'onnx' }>): HeadstartError {
  return new HeadstartError(
    'NOT_SUPPORTED',
    `not supported on tfjs: layer ${layer.name} is an opaque ONNX block (op ${layer.unsupported.op}); use --backend onnx`,
  );
}

/** @throws HeadstartError (NOT_SUPPORTED) naming the first opaque ONNX block of `spec`, if any. */
export function checkNoOpaqueBlocks(spec: ModelSpec): void {
  const [first] = opaqueLayers(spec.layers);
  if (first) throw opaqueBlockError(first);
}
