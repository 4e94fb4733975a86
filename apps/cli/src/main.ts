import { Command, CommanderError } from 'commander';
import { CliError, classify, EXIT, oneLine } from './cli-error.js';
import { guardStdStreams, lostStdout, writeStderr } from './output/std-streams.js';
import { addTokenCacheFlags, addTrainingFlags } from './training-flags.js';
import { VERSION } from './version.js';

/**
 * Parse `argv` (without node and script), run the command, and return the exit code. A failed
 * write to stdout or stderr never ends the command; stdout lost for another reason than its reader
 * leaving is one line on stderr and exit 1.
 */
export async function main(argv: string[]): Promise<number> {
  guardStdStreams();
  const code = await runCommand(argv);
  const lost = await lostStdout();
  if (lost === undefined) return code;
  writeStderr(`headstart: ${lost}\n`);
  return code === EXIT.ok ? EXIT.failure : code;
}

async function runCommand(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    checkCurrentFolder();
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const { message, exitCode, stack } = classify(error);
    writeStderr(`headstart: ${message}\n`);
    if (stack && error instanceof Error && error.stack) writeStderr(`${error.stack}\n`);
    return exitCode;
  }
}

/** @throws CliError when the current folder was deleted: no relative path could be resolved. */
function checkCurrentFolder(): void {
  try {
    process.cwd();
  } catch {
    // The shell's PWD still names the folder that went away.
    const folder = process.env.PWD ? ` ${process.env.PWD}` : '';
    throw new CliError(`the current folder${folder} no longer exists (deleted?); cd into an existing folder and run again`);
  }
}

function buildProgram(): Command {
  const program = new Command('headstart')
    .description('Pre-training, fine-tuning and transfer learning of neural networks, on a backend of your choice.')
    .version(VERSION)
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({ outputError: (text, write) => write(text.startsWith('error:') ? `headstart: ${oneLine(text.slice(7))}\n` : text) });

  addTrainingFlags(program.command('train').description('train a model with one strategy'), {
    epochs: 'passes over the training data',
    set: 'strategy option (repeatable)',
  })
    .option('--device <device>', 'where the backend computes: cpu, cuda, cuda:N, dml, dml:N, coreml (headstart doctor lists them)', 'cpu')
    .option('--out <file>', 'where to write the checkpoint', 'model.safetensors')
    .option('--lr <x>', 'learning rate, or auto: an lr-find range test chooses it first (recorded in provenance)')
    .option('--checkpoint-every <n>', 'resumable checkpoints every n steps (500) or every so often (30s, 5m); 0: epoch ends only', '60s')
    .option('--resume', 'continue an interrupted run from its resumable checkpoint')
    .option('--dry-run', 'print what would train, then exit')
    .option('--json', 'one JSON event per line on stdout (the default when stdout is not a terminal)')
    .addHelpText(
      'after',
      `
Example:
  $ headstart train --strategy full-retrain --data data/digits/digits.csv --scale 16 --out digits.safetensors`,
    )
    .action(async (options) => (await import('./commands/train.js')).train(options));

  addTrainingFlags(
    program
      .command('lr-find')
      .description("learning-rate range test of a strategy's phase: plots the loss against the rate and suggests one"),
    { epochs: 'passes over the training data (of phases trained before the one tested)', set: 'strategy option (repeatable; not lr)' },
  )
    .option('--start-lr <x>', 'rate of the first step', '1e-7')
    .option('--end-lr <x>', 'rate of the last step', '10')
    .option('--steps <n>', 'steps of the test (it stops early when the loss diverges)', '100')
    .option('--rule <rule>', 'how the rate is read off the curve: valley or minimum', 'valley')
    .option('--svg <file>', 'also write the curve as an SVG image')
    .option('--json', 'one JSON event per line on stdout, the points in the result (the default when stdout is not a terminal)')
    .addHelpText(
      'after',
      `
Example:
  $ headstart lr-find --strategy full-retrain --data data/digits/digits.csv --scale 16 --svg lr-find.svg
  $ headstart train --strategy full-retrain --data data/digits/digits.csv --scale 16 --lr auto`,
    )
    .action(async (options) => (await import('./commands/lr-find.js')).lrFind(options));

  addTokenCacheFlags(
    program
      .command('run')
      .description("run a multi-stage pipeline; each stage starts from the previous stage's checkpoint")
      .argument('<pipeline>', 'pipeline file (YAML)'),
  )
    .option('--resume', 'skip finished stages and continue an interrupted one')
    .option('--checkpoint-every <n>', 'resumable checkpoints every n steps (500) or every so often (30s, 5m); 0: epoch ends only', '60s')
    .option('--dry-run', 'print what each stage would train, then exit')
    .option('--queue <url>', 'queue the stages on Redis (redis://[:password@]host:port, rediss://) for headstart worker processes')
    .option('--store <dir>', 'with --queue: the folder workers write checkpoints to (a volume they all reach)')
    .option('--json', 'one JSON event per line on stdout (the default when stdout is not a terminal)')
    .addHelpText(
      'after',
      `
Example pipeline.yaml:
  scale: 16
  out: runs/digits
  stages:
    - { name: pretrain, strategy: full-retrain, data: data/digits/digits.csv, labels: [0, 1, 2, 3, 4], options: { epochs: 15 } }
    - { name: finetune, strategy: lp-ft, data: data/digits/digits.csv, labels: [5, 6, 7, 8, 9], perClass: 10 }

  $ headstart run pipeline.yaml`,
    )
    .action(async (file, options) => (await import('./commands/run.js')).run(file, options));

  program
    .command('evaluate')
    .description('accuracy, loss, per-class figures and confusion matrix of a checkpoint on labelled data')
    .requiredOption('--model <file>', 'checkpoint (.safetensors)')
    .requiredOption('--data <file>', 'labelled data')
    .option('--label <column>', 'label column or field', 'label')
    .option('--backend <name>', 'compute backend')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Example:
  $ headstart evaluate --model digits.safetensors --data data/digits/digits.csv --json`,
    )
    .action(async (options) => (await import('./commands/evaluate.js')).evaluate(options));

  program
    .command('predict')
    .description('predict labels for data with a checkpoint')
    .requiredOption('--model <file>', 'checkpoint (.safetensors)')
    .requiredOption('--data <file>', 'data (a label column, if present, is ignored)')
    .option('--label <column>', 'label column to ignore', 'label')
    .option('--out <file>', 'write predictions to a .csv or .jsonl file (default: CSV on stdout)')
    .option('--backend <name>', 'compute backend')
    .addHelpText(
      'after',
      `
Example:
  $ headstart predict --model digits.safetensors --data new-digits.csv --out predictions.csv`,
    )
    .action(async (options) => (await import('./commands/predict.js')).predict(options));

  program
    .command('inspect')
    .description('show a checkpoint: spec, parameters, trainable flags, label map, provenance')
    .argument('<checkpoint>', 'checkpoint (.safetensors)')
    .option('--json', 'print as JSON')
    .addHelpText(
      'after',
      `
Example:
  $ headstart inspect digits.safetensors`,
    )
    .action(async (file, options) => (await import('./commands/inspect.js')).inspect(file, options));

  program
    .command('compare')
    .description('compare strategies over label budgets and seeds on any data; writes a report')
    .argument('<experiment>', 'experiment file (YAML)')
    .requiredOption('--out <dir>', 'report directory')
    .option('--backend <name>', 'compute backend')
    .option('--queue <url>', 'queue the runs on Redis (redis://[:password@]host:port, rediss://) for headstart worker processes')
    .option('--store <dir>', 'with --queue: the folder workers write checkpoints to (a volume they all reach)')
    .option('--json', 'one JSON event per line on stdout (the default when stdout is not a terminal)')
    .addHelpText(
      'after',
      `
Example experiment.yaml:
  name: digits 0-4 to 5-9
  data: data/digits/digits.csv
  scale: 16
  source: { labels: [0, 1, 2, 3, 4], options: { epochs: 20 } }
  target: { labels: [5, 6, 7, 8, 9], budgets: [5, 10, 50] }
  strategies:
    - { strategy: full-retrain }
    - { strategy: frozen-base }
    - { strategy: continued, options: { lr: 0.001 } }
  seeds: [1, 2, 3]

  $ headstart compare experiment.yaml --out report`,
    )
    .action(async (file, options) => (await import('./commands/compare.js')).compare(file, options));

  program
    .command('worker')
    .description('train the runs that compare --queue and run --queue put on a Redis queue, until stopped')
    .requiredOption('--queue <url>', 'Redis URL: redis://[[user]:password@]host[:port][/db], or rediss:// for TLS')
    .requiredOption('--store <dir>', 'where checkpoints and results go: a volume every worker and the coordinator reach')
    .option('--concurrency <n>', 'runs of one queue trained at once', '1')
    .option('--checkpoint-every <n>', 'resumable checkpoints every n steps (500) or every so often (30s, 5m); 0: epoch ends only', '60s')
    .option('--stall-after <seconds>', 'a run whose worker stops answering for this long is handed to another worker', '30')
    .option('--json', 'one JSON event per line on stdout (the default when stdout is not a terminal)')
    .addHelpText(
      'after',
      `
Example:
  $ headstart worker --queue redis://redis:6379 --store /shared/headstart --concurrency 2`,
    )
    .action(async (options) => (await import('./commands/worker.js')).worker(options));

  program
    .command('import')
    .description("turn a model in a backend's native format (ONNX, tfjs model.json) into a headstart checkpoint")
    .argument(
      '<model>',
      'model file in a format a backend imports: .onnx, a tfjs layers model.json (or its directory); headstart plugins lists the formats',
    )
    .requiredOption('--out <file>', 'checkpoint to write (.safetensors)')
    .option('--labels <list>', 'the class of each output, comma-separated, so evaluate and predict can use the model as it is')
    .option('--scale <k>', 'inputs are divided by k before the model sees them (as the model was trained)')
    .option(
      '--tokenizer <file>',
      "a text encoder's Hugging Face tokenizer.json, recorded so text training and predict tokenise as the model expects (default: tokenizer.json beside the model)",
    )
    .option('--text-column <name>', 'with a tokenizer: the CSV column (or JSONL field) that holds the text (default: text)')
    .addHelpText(
      'after',
      `
Examples:
  $ headstart import resnet-ish.onnx --out base.safetensors
  $ headstart import distilbert/model.onnx --out encoder.safetensors   # with distilbert/tokenizer.json
  $ headstart import digits.onnx --out digits.safetensors --labels 0,1,2,3,4,5,6,7,8,9 --scale 16
  $ headstart import web-model/model.json --out base.safetensors   # tfjs model.save() or the Keras converter
  $ headstart train --strategy frozen-base --from base.safetensors --data mine.csv`,
    )
    .action(async (file, options) => (await import('./commands/import.js')).importModel(file, options));

  program
    .command('export')
    .description('write a checkpoint as a model its runtime loads on its own')
    .argument('<checkpoint>', 'checkpoint (.safetensors)')
    .requiredOption('--format <format>', "a format a backend exports: onnx, tfjs, or a plugin's (headstart plugins lists them)")
    .requiredOption('--out <path>', 'file (onnx); directory, or a .json file, (tfjs) to write')
    .addHelpText(
      'after',
      `
Examples:
  $ headstart export digits.safetensors --format onnx --out digits.onnx
  $ headstart export digits.safetensors --format tfjs --out web-model   # model.json + weights.bin for tf.loadLayersModel
  $ headstart export text.safetensors --format tfjs --out text-web      # a text model: a graph model for tf.loadGraphModel`,
    )
    .action(async (file, options) => (await import('./commands/export.js')).exportModel(file, options));

  program
    .command('merge')
    .description('fold a LoRA adapter checkpoint into its base: a plain checkpoint with the original spec')
    .argument('<adapter>', 'adapter checkpoint written by --strategy lora (.safetensors)')
    .option('--base <file>', 'the base checkpoint (default: the path the adapter records); its sha-256 must match')
    .requiredOption('--out <file>', 'checkpoint to write (.safetensors)')
    .addHelpText(
      'after',
      `
Example:
  $ headstart train --strategy lora --from base.safetensors --data mine.csv --out adapter.safetensors
  $ headstart merge adapter.safetensors --base base.safetensors --out merged.safetensors
  $ headstart export merged.safetensors --format onnx --out merged.onnx`,
    )
    .action(async (file, options) => (await import('./commands/merge.js')).merge(file, options));

  program
    .command('plugins')
    .description('list strategies, backends and data loaders, where they come from, and plugins that failed to load')
    .option('--json', 'print as JSON')
    .action(async (options) => (await import('./commands/plugins.js')).plugins(options));

  program
    .command('doctor')
    .description('which backends and engines work here, and why not')
    .option('--json', 'print as JSON')
    .action(async (options) => (await import('./commands/doctor.js')).doctor(options));

  program
    .command('demo')
    .description('the main job on the embedded digits data, or (--task text) on the SpamAssassin messages')
    .option('--task <task>', 'digits (pre-train on 0-4, learn 5-9) or text (pre-train on messages, learn ham or spam)', 'digits')
    .option('--backend <name>', 'compute backend')
    .option('--seeds <n>', 'how many of the three seeds to run (fewer: quicker, noisier)')
    .option('--out <dir>', 'report directory', 'headstart-report')
    .option('--json', 'one JSON event per line on stdout (the default when stdout is not a terminal)')
    .addHelpText(
      'after',
      `
Examples:
  $ headstart demo --out headstart-report
  $ headstart demo --task text --out text-report`,
    )
    .action(async (options) => (await import('./commands/demo.js')).demo(options));

  return program;
}
