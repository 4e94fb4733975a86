import {
  featureData,
  decideHeadSize,
  HeadstartError,
  earlyStoppingFrom,
  initializeWeights,
  optimizerFrom,
  parameterShapes,
  sameShape,
  scheduleFrom,
  withHeadUnits,
  type Dataset,
  type FitPlan,
  type Label,
  type Model,
  type ModelSpec,
  type NamedTensors,
  type Strategy,
  type StrategyContext,
} from '@headstart/core';
import { selfTrainingOptionsSchema, type SelfTrainingOptions } from './options.js';
import { predictAll, selectPseudoLabels, withPseudoLabels } from './pseudo-labels.js';
import { VERSION } from './version.js';

/**
 * `self-training` (pseudo-labelling with a curriculum, Lee 2013; Cascante-Bonilla et al. 2021):
 * learn from a few labels and many unlabelled samples. Round 0 trains on the labels alone; each
 * later round lets the model label a growing share of the `--unlabeled` samples, those it is most
 * confident about and the same number for every class, and trains on the labels plus those
 * pseudo-labels. The architecture is the `--from` model's (its weights kept, with a new head when
 * its labels differ), else `--model` or the default for the data.
 *
 * Events: the usual epoch events of each round (phases `round-0`, `round-1`, …) and, before each
 * pseudo-labelled round, an `info` log line with how many samples were labelled per class. The
 * result's metrics carry `pseudoLabels`, the count of the last round.
 *
 * On `--resume` the rounds that finished are skipped and the interrupted one continues with
 * pseudo-labels chosen again by the resumed model (so not bit-identical to an unbroken run).
 */
export function selfTraining(): Strategy<SelfTrainingOptions> {
  return {
    name: 'self-training',
    meta: { version: VERSION, description: 'Train on the labels, then again and again with confident pseudo-labels of --unlabeled data.' },
    options: selfTrainingOptionsSchema,
    needsStart: 'optional',
    usesUnlabeled: true,
    async run(ctx, options) {
      const unlabeled = ctx.data.unlabeled && featureData(ctx.data.unlabeled, 'self-training');
      if (!unlabeled || unlabeled.size === 0) {
        throw new HeadstartError('USAGE', 'self-training: needs unlabelled data to pseudo-label: give --unlabeled FILE');
      }
      // Pseudo-labels are merged into the training rows as float features.
      const train0 = featureData(ctx.data.train, 'self-training');
      const labels = train0.labelMap ?? [];
      const start = ctx.from?.spec ?? ctx.spec;
      decideHeadSize(ctx, 'self-training', start, labels.length);
      const { spec, head } = withHeadUnits(start, labels.length);
      const model = await ctx.createModel(spec, startingWeights(ctx, spec, head, labels));
      const trainable = model
        .parameters()
        .filter((p) => p.trainable)
        .map((p) => p.name);
      const resumeRound = roundOf(ctx.resume?.state.phase);

      let result = resumeRound > 0 ? undefined : await ctx.fit(model, plan(ctx, options, trainable, 0, train0));
      let pseudoLabels = 0;
      for (let round = Math.max(1, resumeRound); round <= options.rounds; round++) {
        const train = ctx.dryRun ? train0 : await pseudoLabelled(ctx, model, unlabeled, options, round);
        pseudoLabels = train.size - ctx.data.train.size;
        result = await ctx.fit(model, plan(ctx, options, trainable, round, train));
      }
      return { model, labels, metrics: { ...result!.metrics, pseudoLabels }, trainable };
    },
  };
}

/** The training data of a pseudo-labelled round: the labels plus what the model is now sure of. */
async function pseudoLabelled(
  ctx: StrategyContext,
  model: Model,
  unlabeled: Dataset,
  options: SelfTrainingOptions,
  round: number,
): Promise<Dataset> {
  const labelMap = ctx.data.train.labelMap ?? [];
  const classes = labelMap.length;
  // The curriculum: round r of R may label r/R of the wanted share, split evenly over the classes.
  const perClass = Math.ceil((options.fraction * unlabeled.size * round) / options.rounds / classes);
  const pseudo = selectPseudoLabels(await predictAll(model, unlabeled, classes), classes, { perClass, threshold: options.threshold });
  const counts = pseudo.perClass.map((n, c) => `${String(labelMap[c])}:${n}`).join(' ');
  ctx.emit({
    type: 'log',
    level: 'info',
    message: `self-training round ${round}/${options.rounds}: ${pseudo.indices.length} of ${unlabeled.size} unlabelled samples pseudo-labelled (at most ${perClass} a class); per class ${counts}`,
  });
  return withPseudoLabels(featureData(ctx.data.train, 'self-training'), unlabeled, pseudo);
}

/** One round as a `ctx.fit` plan: round 0 runs `epochs`, the others `roundEpochs`. */
function plan(ctx: StrategyContext, options: SelfTrainingOptions, trainable: string[], round: number, train: Dataset): FitPlan {
  const epochs = round === 0 ? options.epochs : options.roundEpochs;
  const schedule = scheduleFrom({ ...options, epochs }, Math.ceil(train.size / options.batchSize));
  const earlyStopping = earlyStoppingFrom(options);
  return {
    phase: `round-${round}`,
    train,
    ...(ctx.data.val ? { val: ctx.data.val } : {}),
    epochs,
    batchSize: options.batchSize,
    trainer: {
      trainable,
      groups: [{ name: 'all', params: trainable, lr: options.lr, weightDecay: options.weightDecay }],
      optimizer: optimizerFrom(options),
      loss: 'softmaxCrossEntropy',
      seed: ctx.seed + round,
    },
    schedule,
    ...(earlyStopping ? { earlyStopping } : {}),
  };
}

/**
 * Weights to start from: the `--from` model's wherever name and shape fit, except its head when its
 * labels are not the data's (then the head starts fresh); fresh seeded weights without `--from`.
 */
function startingWeights(ctx: StrategyContext, spec: ModelSpec, head: string, labels: Label[]): NamedTensors | undefined {
  if (!ctx.from) return undefined;
  const keepHead = sameLabels(ctx.from.labels, labels);
  if (!keepHead) {
    ctx.emit({ type: 'log', level: 'info', message: `self-training: new head (${head}) for labels [${labels.join(', ')}]` });
  }
  const weights = initializeWeights(spec, ctx.rng.fork());
  for (const p of parameterShapes(spec)) {
    const kept = ctx.from.weights.get(p.name);
    if (kept && sameShape(kept.shape, p.shape) && (keepHead || p.layer !== head)) weights.set(p.name, kept);
  }
  return weights;
}

function sameLabels(a: readonly Label[] | undefined, b: readonly Label[]): boolean {
  return a !== undefined && a.length === b.length && a.every((label, i) => String(label) === String(b[i]));
}

/** The round a resumed run stopped in (`round-2` → 2), 0 when not resuming. */
function roundOf(phase: string | undefined): number {
  const match = /^round-(\d+)$/.exec(phase ?? '');
  return match ? Number(match[1]) : 0;
}
