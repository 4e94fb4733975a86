import { checkOutput, getRegistry, readWithBase, type ExportedModel } from '@headstart/core';
import { recordedBase } from '../adapter-base.js';
import { CliError } from '../cli-error.js';
import { findExporter } from '../model-formats.js';
import { createReporter } from '../output/reporter.js';
import { loadPlugins } from '../plugins/load-plugins.js';

/**
 * `headstart export CKPT --format NAME --out PATH`: a model its runtime loads on its own, written by
 * the backend that declares it exports format NAME (onnx, tfjs, or a plugin's).
 */
export async function exportModel(file: string, flags: { format: string; out: string }): Promise<void> {
  // An adapter's recorded base is read too: no file the export writes may replace it.
  const inputs = [{ flag: 'the checkpoint', path: file }, ...(await recordedBase(file, 'the adapter'))];
  await checkOutput({ flag: '--out', path: flags.out }, inputs);
  const reporter = createReporter({ json: false });
  (await loadPlugins()).warnings.forEach((w) => reporter.warn(w));
  const checkpoint = await readWithBase(file);
  const { backend, format } = await findExporter(flags.format);
  // Every file the format writes (tfjs: model.json and weights.bin), not only --out, must not be the checkpoint.
  for (const written of format.exportFiles?.(flags.out) ?? []) {
    await checkOutput({ flag: '--out', path: written }, inputs);
  }
  if (!(await getRegistry().start(backend.name)).availability.available)
    throw new CliError(`--format ${flags.format}: the ${backend.name} backend cannot run here (see headstart doctor)`);
  const model = await backend.createModel(checkpoint.manifest.spec, checkpoint.weights);
  let written: ExportedModel | undefined;
  try {
    written = (await backend.exportModel!(model, flags.format, flags.out)) ?? undefined;
  } finally {
    model.dispose();
  }
  process.stdout.write(`exported ${file} → ${flags.out} (${flags.format}${written ? ` ${written.description}` : ''})\n`);
}
