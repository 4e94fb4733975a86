/** Version of @headstart/backend-onnx, reported as the backend's `meta.version` and in written models. */
export const VERSION = '0.0.0';
