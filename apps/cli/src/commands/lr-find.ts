import { stat } from 'node:fs/promises';
import {
  checkOptions,
  checkOutput,
  DEFAULT_LR_RANGE,
  findLearningRate,
  getRegistry,
  LR_RULE_DESCRIPTIONS,
  LR_RULES,
  PROBE_LR,
  suggestLr,
  writeFileSafely,
  type AnyStrategy,
  type FlagPath,
  type LrFindResult,
  type LrRangeSettings,
  type LrRule,
} from '@headstart/core';
import { startBackend } from '../backend-choice.js';
import { CliError } from '../cli-error.js';
import { inheritedFrom, loadTrainingData, parseNumber, parseSeed, POSITIVE, type DataFlags } from '../data-options.js';
import { flagPaths } from '../flag-paths.js';
import { interruptSignal } from '../interrupt.js';
import { lrPlot } from '../output/lr-plot.js';
import { lrSvg } from '../output/lr-svg.js';
import { createReporter } from '../output/reporter.js';
import { loadPlugins } from '../plugins/load-plugins.js';
import { chooseSpec } from '../read-spec.js';
import { loadStartingPoint } from '../start-point.js';
import { checkModelAndFrom, checkTrainFlags } from '../train-flag-checks.js';
import { isTextRun, loadTextRunData, type TextFlags } from '../text-options.js';
import { strategyOptions } from './train.js';

/** Flags of `headstart lr-find`: those of `train` that shape the phase tested, and the range test's own. */
export interface LrFindFlags extends DataFlags, TextFlags {
  strategy: string;
  backend?: string | undefined;
  from?: string | undefined;
  epochs?: string | undefined;
  batchSize?: string | undefined;
  head?: string | undefined;
  freeze?: string[] | undefined;
  model?: string | undefined;
  set?: string[] | undefined;
  startLr?: string | undefined;
  endLr?: string | undefined;
  steps?: string | undefined;
  rule?: string | undefined;
  /** Write the curve as an SVG image to this file. */
  svg?: string | undefined;
  json?: boolean | undefined;
}

/** Fewest steps of a test: the rules skip the first tenth and the last five. */
const MIN_STEPS = 10;

/**
 * `headstart lr-find`: a learning-rate range test of the phase of a strategy that its `lr` sets,
 * run as `headstart train` with the same flags would train it; prints the curve, the rule and the
 * rate it suggests, and writes nothing but the `--svg` file asked for.
 */
export async function lrFind(flags: LrFindFlags): Promise<void> {
  const range = parseRange(flags);
  const inputs = flagPaths({
    '--data': flags.data,
    '--val': flags.val,
    '--unlabeled': flags.unlabeled,
    '--from': flags.from,
    '--model': flags.model,
    '--tokenizer': flags.tokenizer,
  });
  if (flags.svg !== undefined) await checkSvgPath(flags.svg, inputs);
  const reporter = createReporter(flags);
  (await loadPlugins()).warnings.forEach((w) => reporter.warn(w));
  const strategy = await getRegistry().get('strategy', flags.strategy);
  const from = flags.from ? await loadStartingPoint(flags.from) : undefined;
  if (strategy.needsStart === 'required' && !from)
    throw new CliError(`--strategy ${strategy.name} starts from a trained model: give --from CHECKPOINT`);
  await checkTrainFlags(flags, strategy, from);
  checkModelAndFrom(flags.model, from);
  const options = parseOptions(strategy, flags);
  const { data } = isTextRun(flags, from)
    ? await loadTextRunData(flags, from, { emit: reporter.emit, writesNothing: true })
    : await loadTrainingData(flags, inheritedFrom(from));
  const spec = await chooseSpec(flags.model, from, data.train);
  const { backend } = await startBackend(flags.backend);
  const { signal, dispose } = interruptSignal();
  try {
    reporter.emit({
      type: 'log',
      level: 'info',
      message: `lr-find: ${strategy.name}, lr ${range.startLr} → ${range.endLr} over ${range.steps} steps`,
    });
    const result = await findLearningRate({
      strategy,
      options,
      backend,
      data,
      ...(from ? { from } : {}),
      spec,
      seed: parseSeed(flags.seed),
      range,
      emit: reporter.emit,
      signal,
    });
    reporter.close();
    if (flags.svg !== undefined) await writeFileSafely(flags.svg, lrSvg(result, strategy.name));
    for (const line of report(result, strategy.name, flags.svg)) reporter.info(line);
    reporter.result({
      strategy: strategy.name,
      phase: result.phase,
      lr: result.suggestion.lr,
      rule: result.suggestion.rule,
      stopped: result.stopped,
      range: { startLr: range.startLr, endLr: range.endLr, steps: range.steps },
      groups: result.groups,
      points: result.points,
      ...(flags.svg !== undefined ? { svg: flags.svg } : {}),
    });
  } finally {
    reporter.close();
    dispose();
  }
}

/** The range test the flags ask for, checked before anything is read. @throws CliError naming the flag. */
function parseRange(flags: LrFindFlags): LrRangeSettings {
  const startLr = parseNumber(flags.startLr, '--start-lr', POSITIVE) ?? DEFAULT_LR_RANGE.startLr;
  const endLr = parseNumber(flags.endLr, '--end-lr', POSITIVE) ?? DEFAULT_LR_RANGE.endLr;
  const steps =
    parseNumber(flags.steps, '--steps', {
      expected: `a whole number of at least ${MIN_STEPS}`,
      accepts: (n) => Number.isInteger(n) && n >= MIN_STEPS,
    }) ?? DEFAULT_LR_RANGE.steps;
  if (startLr >= endLr)
    throw new CliError(`--start-lr ${startLr} must be below --end-lr ${endLr}: the test raises the rate from one to the other`);
  const rule = (flags.rule ?? DEFAULT_LR_RANGE.rule) as LrRule;
  if (!LR_RULES.includes(rule)) throw new CliError(`--rule: expected ${LR_RULES.join(' or ')}, got "${flags.rule}"`);
  return { startLr, endLr, steps, rule };
}

async function checkSvgPath(file: string, inputs: FlagPath[]): Promise<void> {
  if ((await stat(file).catch(() => undefined))?.isDirectory())
    throw new CliError(`--svg ${file}: is a directory; --svg names the file to write`);
  await checkOutput({ flag: '--svg', path: file }, inputs);
}

/** The strategy's options from the flags; `lr` is what the test varies, so it is refused. */
function parseOptions(strategy: AnyStrategy, flags: LrFindFlags): Record<string, unknown> {
  const raw = strategyOptions(flags);
  if (raw.lr !== undefined)
    throw new CliError(`--set lr=${String(raw.lr)}: lr-find tries every rate from --start-lr to --end-lr; leave lr out`);
  const checked = checkOptions(strategy.options, raw);
  if (!checked.ok) throw new CliError(`strategy ${strategy.name}: ${checked.field ? `option ${checked.field}: ` : ''}${checked.problem}`);
  // A strategy may leave lr to the data (continued): it has the option when a given rate parses as given.
  const probe = checkOptions(strategy.options, { ...raw, lr: PROBE_LR });
  if (!probe.ok || probe.options.lr !== PROBE_LR)
    throw new CliError(`strategy ${strategy.name} has no lr option: there is no rate to find`);
  return checked.options;
}

/** What the test found, for people: the curve, the rule and its suggestion, the other rule's for comparison. */
function report(result: LrFindResult, strategy: string, svg: string | undefined): string[] {
  const { points, suggestion, range } = result;
  const ended =
    result.stopped === 'diverged'
      ? `stopped after ${points.length} of ${range.steps} steps: the loss diverged`
      : `${points.length} steps, lr ${range.startLr} → ${range.endLr}`;
  const groups =
    result.groups.length > 1
      ? [
          `rates are the top group's; its ${result.groups.length} parameter groups moved together at their ratios (${result.groups.map((g) => `${g.name} ×${g.ratio.toPrecision(3)}`).join(', ')})`,
        ]
      : [];
  const other: LrRule = suggestion.rule === 'valley' ? 'minimum' : 'valley';
  const alternative = suggestLr(points, { ...range, rule: other });
  return [
    `lr-find: ${strategy}, phase "${result.phase}" (${ended})`,
    ...groups,
    lrPlot(points, suggestion),
    `rule: ${suggestion.rule}: ${LR_RULE_DESCRIPTIONS[suggestion.rule]}`,
    `suggested lr: ${suggestion.lr}`,
    ...(alternative ? [`(the ${other} rule would suggest ${alternative.lr})`] : []),
    ...(svg !== undefined ? [`wrote the curve to ${svg}`] : []),
  ];
}
