import { registerBackend } from '@headstart/core';
import { createOnnxBackend } from './base.js';

registerBackend('onnx', () => createOnnxBackend(), { source: '@headstart/backend-onnx' });

export * from './base.js';
