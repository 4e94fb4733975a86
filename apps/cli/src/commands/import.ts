import { checkOutput, opaqueLayers, outputShape, writeCheckpoint, type Label } from '@headstart/core';
import { sha256OfFile } from '@headstart/data';
import { CliError } from '../cli-error.js';
import { parseNumber, SCALE_FACTOR } from '../data-options.js';
import { findImporter } from '../model-formats.js';
import { createReporter } from '../output/reporter.js';
import { importedTokenizer, tokenizerFile } from './import-tokenizer.js';
import { loadPlugins } from '../plugins/load-plugins.js';
import { loadStartingPoint } from '../start-point.js';

/**
 * `headstart import MODEL --out CKPT`: a model in a format some backend declares it imports (see
 * `findImporter`) as a headstart checkpoint.
 */
export async function importModel(
  file: string,
  flags: {
    out: string;
    labels?: string | undefined;
    scale?: string | undefined;
    tokenizer?: string | undefined;
    textColumn?: string | undefined;
  },
): Promise<void> {
  const reporter = createReporter({ json: false });
  (await loadPlugins()).warnings.forEach((w) => reporter.warn(w));
  const importer = file.endsWith('.safetensors') ? undefined : await findImporter(file);
  // A model given as a directory (tfjs) is read, and hashed, by the file in it that its format names.
  const hashed = importer?.file ?? file;
  const companions = (await importer?.format.importFiles?.(importer.file)) ?? [];
  const tokenizerPath = await tokenizerFile(hashed, flags.tokenizer);
  await checkOutput({ flag: '--out', path: flags.out }, [
    { flag: 'the model', path: hashed },
    ...companions.map((path) => ({ flag: 'a file of the model', path })),
    ...(tokenizerPath ? [{ flag: flags.tokenizer ? '--tokenizer' : 'the tokenizer beside the model', path: tokenizerPath }] : []),
  ]);
  const start = await loadStartingPoint(file, importer);
  const tokenizer = await importedTokenizer(start.spec, tokenizerPath, flags.tokenizer !== undefined, flags.textColumn ?? 'text');
  if (flags.textColumn !== undefined && !tokenizer)
    throw new CliError(
      `--text-column: ${file} records no tokenizer (none given with --tokenizer, no tokenizer.json beside it), and the text column goes with one; give --tokenizer FILE or leave --text-column out`,
    );
  const labels = parseLabels(flags.labels, outputShape(start.spec));
  const scale = parseNumber(flags.scale, '--scale', SCALE_FACTOR);
  if (scale !== undefined && start.spec.inputs)
    throw new CliError(
      `--scale: ${file} takes token inputs (${start.spec.inputs.map((i) => i.name).join(', ')}), which are not scaled; drop --scale`,
    );
  const now = new Date().toISOString();
  const { sha256 } = await writeCheckpoint(flags.out, {
    manifest: {
      spec: start.spec,
      ...(labels ? { labels } : {}),
      ...(tokenizer ? { tokenizer } : {}),
      preprocessing: scale === undefined ? { kind: 'none' } : { kind: 'scale', factor: scale },
      provenance: [
        {
          strategy: 'import',
          options: { file },
          data: { file, format: 'model', sha256: await sha256OfFile(hashed) },
          backend: start.importedBy ?? 'unknown',
          startedAt: now,
          finishedAt: now,
        },
      ],
    },
    weights: start.weights,
  });
  process.stdout.write(`imported ${file} → ${flags.out} (${start.spec.layers.length} layers, sha256 ${sha256.slice(0, 12)}…)\n`);
  if (tokenizer)
    process.stdout.write(
      `tokenizer ${tokenizerPath} recorded: ${tokenizer.vocabSize} tokens, sequences of ${tokenizer.maxLength} padded with id ${tokenizer.padId}, text from column "${tokenizer.textColumn}"\n`,
    );
  for (const block of opaqueLayers(start.spec.layers)) {
    const { op, node } = block.unsupported;
    process.stdout.write(
      `layer ${block.name} is an opaque ONNX block (op ${op} at node "${node}" has no headstart layer): it runs forward only, as a frozen base\n`,
    );
  }
}

/** `--labels a,b,c`: one label an output (numbers stay numbers, as in data files). */
function parseLabels(text: string | undefined, output: number[]): Label[] | undefined {
  if (text === undefined) return undefined;
  const labels = text
    .split(',')
    .map((l) => l.trim())
    .map((l): Label => (l !== '' && Number.isFinite(Number(l)) ? Number(l) : l));
  const outputs = output.reduce((a, b) => a * b, 1);
  if (labels.length !== outputs || labels.some((l) => l === ''))
    throw new CliError(
      `--labels: the model has ${outputs} outputs; give ${outputs} non-empty labels, comma-separated (got ${labels.length})`,
    );
  if (new Set(labels.map(String)).size !== labels.length) throw new CliError('--labels: each label once');
  return labels;
}
