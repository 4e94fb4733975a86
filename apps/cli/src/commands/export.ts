import { checkOutput, getRegistry, readCheckpoint } from '@headstart/core';
import { CliError } from '../cli-error.js';
import { createReporter } from '../output/reporter.js';
import { loadPlugins } from '../plugins/load-plugins.js';

/** `headstart export CKPT --format onnx|tfjs --out PATH`: a model its runtime loads on its own. */
export async function exportModel(file: string, flags: { format: string; out: string }): Promise<void> {
  await checkOutput({ flag: '--out', path: flags.out }, [{ flag: 'the checkpoint', path: file }]);
  const reporter = createReporter({ json: false });
  (await loadPlugins()).warnings.forEach((w) => reporter.warn(w));
  const checkpoint = await readCheckpoint(file);
  const registry = getRegistry();
  // The backend named like the format exports it (onnx → onnx, tfjs → tfjs).
  const name = registry.names('backend').find((n) => n === flags.format);
  const backend = name ? await registry.get('backend', name) : undefined;
  if (!backend?.exportModel) {
    const able = (
      await Promise.all(registry.names('backend').map(async (n) => ((await registry.get('backend', n)).exportModel ? n : undefined)))
    ).filter(Boolean);
    throw new CliError(`--format ${flags.format}: no backend exports it (formats: ${able.join(', ') || 'none'})`);
  }
  if (!(await registry.start(backend.name)).availability.available)
    throw new CliError(`--format ${flags.format}: the ${backend.name} backend cannot run here (see headstart doctor)`);
  const model = await backend.createModel(checkpoint.manifest.spec, checkpoint.weights);
  try {
    await backend.exportModel(model, flags.format, flags.out);
  } finally {
    model.dispose();
  }
  process.stdout.write(`exported ${file} → ${flags.out} (${flags.format})\n`);
}
