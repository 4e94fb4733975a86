import { createOnnxBackend } from '@headstart/backend-onnx';
import { createTfjsBackend } from '@headstart/backend-tfjs';
import { describeBackendConformance } from '@headstart/conformance';

// tfjs held against onnx value for value: the same predictions, evaluation, training steps and
// optimizer state, and `reference.continue`: a checkpoint trained two steps on tfjs continues two
// steps on onnx exactly as it does on tfjs, and the other way round. The float64 and
// reference-free checks already ran in tfjs.test.ts and onnx.test.ts, so only reference.* runs here.
describeBackendConformance('tfjs against onnx', () => createTfjsBackend({ note: () => undefined }), {
  reference: () => createOnnxBackend(),
  checks: ['reference.*'],
});
