import {
  inferShapes,
  isChain,
  outputsLogits,
  readManifest,
  recordedBase,
  type LayerShapes,
  type LrFindRecord,
  type ModelSpec,
} from '@headstart/core';
import { table } from '../output/reporter.js';

/** `headstart inspect`: what a checkpoint holds, read from its header only. */
export async function inspect(file: string, flags: { json?: boolean | undefined }): Promise<void> {
  const { manifest, tensors } = await readManifest(file);
  const trainable = new Set(manifest.training?.trainable ?? []);
  const layers = inferShapes(manifest.spec);
  const parameters = layers.flatMap((l) =>
    l.parameters.map((p) => ({
      name: p.name,
      layer: l.layer.type,
      shape: p.shape,
      trainedLast: trainable.has(p.name),
      ...(p.dtype ? { dtype: p.dtype } : {}),
    })),
  );
  const optimizer = tensors.filter((t) => t.name.startsWith('optim.')).length;
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ file, manifest, graph: graphOf(manifest.spec, layers), parameters, tensors })}\n`);
    return;
  }
  // An opaque ONNX block's graph is bytes, not parameters: counted apart.
  const size = (p: { shape: number[] }): number => p.shape.reduce((a, b) => a * b, 1);
  const count = parameters.filter((p) => p.dtype !== 'uint8').reduce((n, p) => n + size(p), 0);
  const opaqueBytes = parameters.filter((p) => p.dtype === 'uint8').reduce((n, p) => n + size(p), 0);
  const opaque = opaqueBytes > 0 ? `, plus ${opaqueBytes.toLocaleString('en')} bytes of opaque ONNX graph` : '';
  const lines = [
    `${file}  (format ${manifest.format} v${manifest.version}, ${count.toLocaleString('en')} parameters${opaque}${optimizer ? `, ${optimizer} optimizer tensors` : ''})`,
    '',
    `input [${manifest.spec.inputShape.join(', ')}]${isChain(manifest.spec) ? '' : `, ${describeGraph(manifest.spec, layers)}`}`,
    nodeTable(manifest.spec, layers),
    '',
    table([
      ['parameter', 'shape', 'trained in last stage'],
      ...parameters.map((p) => [p.name, `[${p.shape.join(', ')}]`, p.trainedLast ? 'yes' : 'no']),
    ]),
    '',
    `labels: ${manifest.labels ? manifest.labels.map(String).join(', ') : '(none)'}`,
    ...(manifest.labels && outputsLogits(manifest.spec)
      ? ['outputs: logits (the model ends in a linear layer); predict and evaluate apply a softmax to give probabilities']
      : []),
    ...(manifest.adapter
      ? [
          `adapter: LoRA rank ${manifest.adapter.rank}, alpha ${manifest.adapter.alpha} on ${manifest.adapter.targets.join(', ')}; only these tensors are in the file, the rest are read from the base ${recordedBase(file, manifest.adapter)} (sha256 ${manifest.adapter.base.sha256.slice(0, 12)}…)`,
        ]
      : []),
    `preprocessing: ${describePreprocessing(manifest.preprocessing)}`,
    `training: ${manifest.training ? (manifest.training.complete ? 'complete' : `interrupted at epoch ${manifest.training.epoch + 1}, step ${manifest.training.step}`) : '(none)'}`,
    '',
    'provenance:',
    ...manifest.provenance.flatMap((p, i) => [
      `  ${i + 1}. ${p.strategy} on ${p.backend}${p.engine ? ` (${p.engine})` : ''}${p.device && p.device !== 'cpu' ? ` on ${p.device}` : ''}, data ${p.data?.file ?? '-'}${p.data?.sha256 ? ` (sha256 ${p.data.sha256.slice(0, 12)}…)` : ''}${p.augment ? `, ${p.augment}` : ''}, ${p.finishedAt ?? p.startedAt}`,
      ...(p.lrFind ? [`     ${describeLrFind(p.lrFind)}`] : []),
    ]),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The spec as a graph, for `--json`: its nodes in topological order, each with the values it takes. */
function graphOf(spec: ModelSpec, layers: LayerShapes[]) {
  return {
    inputShape: spec.inputShape,
    output: spec.layers.at(-1)!.name,
    outputsLogits: outputsLogits(spec),
    nodes: layers.map((l) => ({
      name: l.layer.name,
      type: l.layer.type,
      inputs: l.inputs,
      outputShape: l.outputShape,
      parameters: parameterCount(l),
    })),
  };
}

/** `a graph of 21 nodes (2 merges); the output is "fc"` */
function describeGraph(spec: ModelSpec, layers: LayerShapes[]): string {
  const merges = layers.filter((l) => l.inputs.length > 1).length;
  return `a graph of ${layers.length} nodes (${merges} merge${merges === 1 ? '' : 's'}); the output is "${spec.layers.at(-1)!.name}"`;
}

/** One row a node, in topological order; a graph's rows say what each node takes. */
function nodeTable(spec: ModelSpec, layers: LayerShapes[]): string {
  const graph = !isChain(spec);
  const header = graph ? ['node', 'type', 'inputs', 'output', 'parameters'] : ['layer', 'type', 'output', 'parameters'];
  const rows = layers.map((l) => {
    const count = l.parameters.some((p) => p.dtype === 'uint8') ? 'opaque' : parameterCount(l).toLocaleString('en');
    const output = `[${l.outputShape.join(', ')}]`;
    return graph ? [l.layer.name, l.layer.type, l.inputs.join(', '), output, count] : [l.layer.name, l.layer.type, output, count];
  });
  return table([header, ...rows]);
}

/** How many numbers a node's parameters hold (an opaque block's graph bytes are not numbers: 0). */
function parameterCount(l: LayerShapes): number {
  return l.parameters.filter((p) => p.dtype !== 'uint8').reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
}

/** `lr: auto → 0.00705 (lr-find, valley rule, lr 1e-7 → 10, 87 of 100 steps of phase "train")` */
function describeLrFind(f: LrFindRecord): string {
  return `lr: auto → ${f.lr} (lr-find, ${f.rule} rule, lr ${f.startLr} → ${f.endLr}, ${f.tested} of ${f.steps} steps of phase "${f.phase}")`;
}

function describePreprocessing(p: { kind: string; factor?: number | undefined }): string {
  return p.kind === 'scale' ? `scale 1/${p.factor}` : p.kind;
}
