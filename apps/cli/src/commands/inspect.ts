import { inferShapes, readManifest } from '@headstart/core';
import { table } from '../output/reporter.js';

/** `headstart inspect`: what a checkpoint holds, read from its header only. */
export async function inspect(file: string, flags: { json?: boolean }): Promise<void> {
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
    process.stdout.write(`${JSON.stringify({ file, manifest, parameters, tensors })}\n`);
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
    `input [${manifest.spec.inputShape.join(', ')}]`,
    table([['layer', 'type', 'output'], ...layers.map((l) => [l.layer.name, l.layer.type, `[${l.outputShape.join(', ')}]`])]),
    '',
    table([
      ['parameter', 'shape', 'trained in last stage'],
      ...parameters.map((p) => [p.name, `[${p.shape.join(', ')}]`, p.trainedLast ? 'yes' : 'no']),
    ]),
    '',
    `labels: ${manifest.labels ? manifest.labels.map(String).join(', ') : '(none)'}`,
    `preprocessing: ${describePreprocessing(manifest.preprocessing)}`,
    `training: ${manifest.training ? (manifest.training.complete ? 'complete' : `interrupted at epoch ${manifest.training.epoch + 1}, step ${manifest.training.step}`) : '(none)'}`,
    '',
    'provenance:',
    ...manifest.provenance.map(
      (p, i) =>
        `  ${i + 1}. ${p.strategy} on ${p.backend}${p.engine ? ` (${p.engine})` : ''}, data ${p.data?.file ?? '-'}${p.data?.sha256 ? ` (sha256 ${p.data.sha256.slice(0, 12)}…)` : ''}, ${p.finishedAt ?? p.startedAt}`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function describePreprocessing(p: { kind: string; factor?: number }): string {
  return p.kind === 'scale' ? `scale 1/${p.factor}` : p.kind;
}
