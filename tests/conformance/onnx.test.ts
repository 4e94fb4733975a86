import { createOnnxBackend } from '@headstart/backend-onnx';
import { describeBackendConformance } from '@headstart/conformance';

describeBackendConformance('onnx', () => createOnnxBackend());
