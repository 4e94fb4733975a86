import { HeadstartError } from '@headstart/core';

/** The backend's registry name, in its messages. */
export const BACKEND_NAME = 'plainjs';

/**
 * The one-line error for a layer this backend cannot run: an opaque ONNX block (it would need
 * onnxruntime), or a layer type newer than this package.
 */
export function unsupportedLayer(layer: { name: string; type: string; unsupported?: { op: string } }): HeadstartError {
  if (layer.type === 'onnx') {
    return new HeadstartError(
      'NOT_SUPPORTED',
      `not supported on ${BACKEND_NAME}: layer ${layer.name} is an opaque ONNX block (op ${layer.unsupported?.op ?? 'unknown'}); use --backend onnx`,
    );
  }
  return new HeadstartError(
    'NOT_SUPPORTED',
    `not supported on ${BACKEND_NAME}: layer ${layer.name} has type "${layer.type}", which this version of ${BACKEND_NAME} cannot run`,
  );
}

/**
 * The one-line error for a field this backend cannot honour (explicit pads, groups): refused
 * rather than run as something else.
 */
export function unsupportedField(layer: { name: string }, field: string, value: unknown): HeadstartError {
  return new HeadstartError(
    'NOT_SUPPORTED',
    `not supported on ${BACKEND_NAME}: layer ${layer.name} has ${field} ${JSON.stringify(value)}, which this version of ${BACKEND_NAME} cannot run`,
  );
}

/**
 * The one-line error for cross-entropy loss options (label smoothing, class weights, distillation)
 * or soft labels: this example implements plain cross-entropy of class indices only, and refuses
 * the rest rather than train with another loss.
 */
export function unsupportedLoss(what: string): HeadstartError {
  return new HeadstartError('NOT_SUPPORTED', `not supported on ${BACKEND_NAME}: ${what}; use --backend onnx or tfjs`);
}
