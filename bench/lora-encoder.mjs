// The `transformer` encoder fine-tuned in full vs with LoRA (issue 18): step time, trainable fraction, optimizer
// state bytes, in this process (run.mjs runs each variant in a process of its own, so peak RSS is that variant's).
// LoRA is built as the `lora` strategy builds it (its spec rewrite and adapter weights, rank 8, alpha 16): variant
// `lora` on every attention layer's query and value projections (`target=*.q,*.v`, PEFT's default for BERT and
// DistilBERT), `lora-ffn` on every dense layer below the head (the strategy's default: the FFN's lin1 and lin2 of each
// block). The head (`head`) trains in full, the rest is frozen.
import { createRng, initializeWeights, inferShapes, validateSpec } from '@headstart/core';
import { headIndex } from '../packages/strategies/dist/head.js';
import { loraTargets, withLora } from '../packages/strategies/dist/lora-spec.js';
import { loraAdapterTensors, loraWeights } from '../packages/strategies/dist/lora-weights.js';
import { transformer } from './workloads.mjs';
import { adamTrainer } from './adam-trainer.mjs';

export const LORA = { rank: 8, alpha: 16 };

/** The `target` globs of each LoRA variant. */
const TARGETS = { lora: ['*.q', '*.v'], 'lora-ffn': [] };

/** The model and trainable parameters of one variant: `full` (every parameter trains), `lora` or `lora-ffn`. */
function variantOf(variant) {
  const spec = validateSpec(transformer.spec);
  const weights = initializeWeights(spec, createRng(1));
  const all = (s) =>
    inferShapes(s)
      .flatMap((n) => n.parameters)
      .filter((p) => p.role !== 'statistic');
  if (variant === 'full') return { spec, weights, trainable: all(spec).map((p) => p.name), all: all(spec) };
  if (!(variant in TARGETS)) throw new Error(`--variant: full, lora or lora-ffn, not "${variant}"`);
  const at = headIndex(spec);
  const targets = loraTargets(spec, at, TARGETS[variant]);
  const adapted = withLora(spec, targets, LORA.rank, LORA.alpha);
  const adapters = targets.flatMap((t) => loraAdapterTensors(t).trained);
  const head = inferShapes(spec)
    .slice(at)
    .flatMap((n) => n.parameters.filter((p) => p.role !== 'statistic').map((p) => p.name));
  return {
    spec: adapted,
    weights: new Map([...weights, ...loraWeights(adapted, targets, LORA.rank, LORA.alpha, createRng(2))]),
    trainable: [...adapters, ...head],
    all: all(adapted),
    targets,
  };
}

const sizeOf = (shape) => shape.reduce((a, b) => a * b, 1);

/**
 * Time `variant` of the encoder on `backend`: the workload's warm-up steps (5), then at least `seconds` and 3 steps;
 * on tfjs (a step takes a minute on its cpu engine) the workload's 1 warm-up and 1 timed step.
 */
export async function loraEncoderSpeed(backend, variant, { seconds = 5 } = {}) {
  const settings = { warmup: 5, minSeconds: seconds, minSteps: 3, ...transformer.perBackend?.[backend.name] };
  const { spec, weights, trainable, all, targets } = variantOf(variant);
  const model = await backend.createModel(spec, weights, { seed: 1 });
  const trainer = adamTrainer(model, trainable);
  const pool = transformer.batches(transformer.batch, 16);
  for (let i = 0; i < settings.warmup; i++) await trainer.step(pool[i % pool.length]);
  const times = [];
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  while (performance.now() - started < settings.minSeconds * 1000 || times.length < settings.minSteps) {
    const t = performance.now();
    await trainer.step(pool[times.length % pool.length]);
    times.push(performance.now() - t);
  }
  const cpu = process.cpuUsage(cpuBefore);
  // Adam's m and v of every trainable parameter, as the trainer hands them to a checkpoint.
  const state = await trainer.getState();
  const optimizerStateBytes = [...state.values()].reduce((n, t) => n + t.data.byteLength, 0);
  trainer.dispose();
  model.dispose();
  const count = (names) => all.filter((p) => names.includes(p.name)).reduce((n, p) => n + sizeOf(p.shape), 0);
  const sorted = [...times].sort((a, b) => a - b);
  return {
    workload: 'lora',
    variant,
    backend: backend.name,
    engine: model.engine,
    ...(targets ? { rank: LORA.rank, targets } : {}),
    steps: times.length,
    stepMs: sorted[Math.floor(sorted.length / 2)],
    cpuMsPerStep: (cpu.user + cpu.system) / 1e3 / times.length,
    trainable: count(trainable),
    parameters: count(all.map((p) => p.name)),
    trainableFraction: count(trainable) / count(all.map((p) => p.name)),
    optimizerStateBytes,
  };
}
