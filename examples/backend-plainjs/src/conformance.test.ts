import { createOnnxBackend } from '@headstart/backend-onnx';
import { describeBackendConformance } from '@headstart/conformance';
import { createPlainJsBackend } from './base.js';

// The shared backend conformance suite, as any third-party backend runs it. With onnx as the
// reference it also compares value for value with onnx and continues training across the two.
describeBackendConformance('plainjs', () => createPlainJsBackend(), {
  reference: () => createOnnxBackend(),
});
