import { inferShapes, type ModelSpec, type NamedTensors } from '@headstart/core';
import { referenceForward, toWeights64 } from '@headstart/conformance/reference';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'vitest';
import { createOnnxBackend } from '../base.js';
import { requireRuntime } from '../runtime/runtime.js';

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');
const backend = createOnnxBackend();

function evaluate(spec: ModelSpec, weights: NamedTensors, x: Float32Array, n: number): Float64Array {
  const w = toWeights64(weights);
  const values = new Map<string, Float64Array>([['input', Float64Array.from(x)]]);
  let last: Float64Array = new Float64Array();
  for (const node of inferShapes(spec)) {
    const ins = node.inputs.map((i) => values.get(i)!);
    let out: Float64Array;
    if (node.layer.type === 'add') out = ins[0]!.map((v, i) => v + ins[1]![i]!);
    else if (node.layer.type === 'concat') {
      const cs = node.inputShapes.map((s) => s[s.length - 1]!);
      const total = cs.reduce((a, b) => a + b, 0);
      const rows = ins[0]!.length / cs[0]!;
      out = new Float64Array(rows * total);
      for (let r = 0; r < rows; r++) {
        let off = 0;
        ins.forEach((v, k) => {
          for (let c = 0; c < cs[k]!; c++) out[r * total + off + c] = v[r * cs[k]! + c]!;
          off += cs[k]!;
        });
      }
    } else {
      const { inputs: _, ...alone } = node.layer as never as Record<string, unknown>;
      out = referenceForward({ inputShape: node.inputShape, layers: [alone] } as never, w, ins[0]!, n, { training: false }).output;
    }
    values.set(node.layer.name, out);
    if (node.index === spec.layers.length - 1) last = out;
  }
  return last;
}

function toNhwc(x: number[], n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let s = 0; s < n; s++)
    for (let ci = 0; ci < c; ci++) for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) out[((s * h + y) * w + xx) * c + ci] = x[((s * c + ci) * h + y) * w + xx]!;
  return out;
}

const cases: [string, string][] = [];
for (const m of ['mini-resnet', 'mini-mobilenetv2', 'resnet-stem'])
  for (const v of ['opset13', 'opset17', 'bn.opset13', 'bn.opset17']) cases.push([`tests/fixtures/torch/${m}.${v}.onnx`, `tests/fixtures/torch/${m}.expected.json`]);
cases.push(['bench/models/resnet18.onnx', 'bench/models/resnet18.expected.json'], ['bench/models/mobilenet_v2.onnx', 'bench/models/mobilenet_v2.expected.json']);

test.each(cases)('%s', async (file, expectedFile) => {
  if (!existsSync(join(ROOT, file))) return;
  const t0 = Date.now();
  const { spec, weights } = await backend.importModel!(join(ROOT, file));
  const t1 = Date.now();
  const expected = JSON.parse(readFileSync(join(ROOT, expectedFile), 'utf8'));
  const [n, c, h, w] = expected.input.shape;
  const x = toNhwc(expected.input.data, n, c, h, w);
  const ort = await requireRuntime();
  const session = await ort.InferenceSession.create(join(ROOT, file));
  const orig = (await session.run({ input: new ort.Tensor('float32', Float32Array.from(expected.input.data), [n, c, h, w]) })).logits!.data as Float32Array;
  const want = expected.output.data as number[];
  let backendDiff = 'n/a', backendTorch = 'n/a';
  try {
    const live = await backend.createModel(spec, weights);
    const p = await live.predict(x, n);
    backendDiff = p.reduce((mx, v, i) => Math.max(mx, Math.abs(v - orig[i]!)), 0).toExponential(2);
    backendTorch = p.reduce((mx, v, i) => Math.max(mx, Math.abs(v - want[i]!)), 0).toExponential(2);
    live.dispose();
  } catch (e) { backendDiff = String(e).slice(0, 80); }
  const out = evaluate(spec, weights, x, n);
  const diff = out.reduce((mx, v, i) => Math.max(mx, Math.abs(v - orig[i]!)), 0);
  const types: Record<string, number> = {};
  for (const l of spec.layers) types[l.type] = (types[l.type] ?? 0) + 1;
  console.log(file, `import ${t1 - t0} ms`, JSON.stringify(types), 'f64 ref vs ort', diff.toExponential(2), 'onnx backend vs ort', backendDiff, 'vs torch', backendTorch, 'no onnx layer:', spec.layers.every((l) => l.type !== 'onnx'));
}, 600_000);
