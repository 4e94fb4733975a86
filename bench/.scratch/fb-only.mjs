import { frozenBaseSpeed } from '../frozen-base.mjs';
import { createOnnxBackend } from '@headstart/backend-onnx';
const b = createOnnxBackend(); await b.probe();
console.log(await frozenBaseSpeed(b, { epochs: +(process.env.E ?? 12) }));
