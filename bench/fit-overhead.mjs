// Overhead of headstart's tfjs backend over plain `model.fit`: the bench `mlp` (64-256-256-10 ReLU,
// softmax) on the same seeded data, the same initial weights, batch 64, Adam lr 1e-3, on the same engine,
// trained three ways in this process, interleaved round by round so machine noise hits each alike:
//   plain    tf.layers model.fit(x, oneHot(y), { batchSize, epochs, shuffle: true }), accuracy metric on
//   trainer  headstart's backend trainer: a JS loop shuffling each epoch, copying batches, trainer.step()
//   fit      core's fitLoop() (what `headstart train` runs): the trainer plus schedule, metrics, events
// Each reports the median seconds per epoch over the rounds; the ratios are the median of each round's
// ratio to plain model.fit in that round (the three of a round ran back to back, under the same load).
import { createRng, fitLoop, initializeWeights, permutation, validateSpec } from '@headstart/core';
import { createTfjsBackend } from '@headstart/backend-tfjs';
import * as tf from '@tensorflow/tfjs';
import { mlp } from './workloads.mjs';

const TFJS_BACKEND = { 'tfjs-node': 'tensorflow', wasm: 'wasm', cpu: 'cpu' };
const LR = 1e-3;

function seededData(samples, width, classes) {
  const rng = createRng(11);
  return {
    x: Float32Array.from({ length: samples * width }, () => rng.next()),
    labels: Int32Array.from({ length: samples }, () => rng.int(classes)),
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The same MLP in tf.layers, holding headstart's initial weights (dense kernels are `[in, out]` in both). */
function plainModel(spec, weights) {
  const model = tf.sequential({
    layers: spec.layers.map((layer, i) =>
      tf.layers.dense({ units: layer.units, activation: layer.activation, ...(i === 0 ? { inputShape: spec.inputShape } : {}) }),
    ),
  });
  model.setWeights(
    spec.layers.flatMap((layer) =>
      ['kernel', 'bias'].map((p) => {
        const t = weights.get(`${layer.name}.${p}`);
        return tf.tensor(t.data, t.shape);
      }),
    ),
  );
  model.compile({ optimizer: tf.train.adam(LR), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

async function timePlain(spec, weights, data, { samples, epochs, batch, backendName }) {
  await tf.setBackend(backendName);
  const model = plainModel(spec, weights);
  const width = spec.inputShape[0];
  const xs = tf.tensor2d(data.x.subarray(0, samples * width), [samples, width]);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(data.labels.subarray(0, samples), 'int32'), 10).toFloat());
  const started = process.hrtime.bigint();
  const history = await model.fit(xs, ys, { batchSize: batch, epochs, shuffle: true, verbose: 0 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  tf.dispose([xs, ys]);
  model.dispose();
  return { secPerEpoch: seconds / epochs, loss: history.history.loss.at(-1) };
}

function trainerOptions(model) {
  const trainable = model
    .parameters()
    .filter((p) => p.trainable)
    .map((p) => p.name);
  return {
    trainable,
    groups: [{ name: 'all', params: trainable, lr: LR }],
    optimizer: { type: 'adam' },
    loss: 'softmaxCrossEntropy',
    seed: 1,
  };
}

async function timeTrainer(backend, spec, weights, data, { samples, epochs, batch }) {
  const model = await backend.createModel(spec, weights, { seed: 1 });
  const trainer = model.trainer(trainerOptions(model));
  const width = spec.inputShape[0];
  const rng = createRng(3);
  let loss = 0;
  const started = process.hrtime.bigint();
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = permutation(samples, rng);
    for (let start = 0; start < samples; start += batch) {
      const size = Math.min(batch, samples - start);
      const x = new Float32Array(size * width);
      const labels = new Int32Array(size);
      for (let i = 0; i < size; i++) {
        const s = order[start + i];
        x.set(data.x.subarray(s * width, (s + 1) * width), i * width);
        labels[i] = data.labels[s];
      }
      loss = (await trainer.step({ x, labels, size })).loss;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  trainer.dispose();
  model.dispose();
  return { secPerEpoch: seconds / epochs, loss, engine: model.engine };
}

async function timeCoreFit(backend, spec, weights, data, { samples, epochs, batch }) {
  const model = await backend.createModel(spec, weights, { seed: 1 });
  const train = {
    size: samples,
    sampleShape: spec.inputShape,
    features: data.x.subarray(0, samples * spec.inputShape[0]),
    labels: data.labels.subarray(0, samples),
    labelMap: [...Array(10).keys()],
    source: { file: 'bench', format: 'memory' },
  };
  const env = { stage: 0, rng: createRng(3), emit: () => {}, signal: new AbortController().signal };
  const started = process.hrtime.bigint();
  const result = await fitLoop(model, { phase: 'train', train, epochs, batchSize: batch, trainer: trainerOptions(model) }, env);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  model.dispose();
  return { secPerEpoch: seconds / epochs, loss: result.metrics.loss };
}

/**
 * Seconds per epoch of plain model.fit and of headstart on the same engine (the engine headstart
 * picks for the MLP, or the one HEADSTART_TFJS_ENGINE forces), and the overhead ratios.
 */
export async function fitOverhead({ samples = 4096, epochs = 1, batch = mlp.batch, rounds = 7 } = {}) {
  const backend = createTfjsBackend({ note: () => {} });
  await backend.probe();
  const spec = validateSpec(mlp.spec);
  const weights = initializeWeights(spec, createRng(1));
  const data = seededData(samples, spec.inputShape[0], 10);
  const probe = await backend.createModel(spec, weights, { seed: 1 });
  const engine = probe.engine;
  probe.dispose();
  const backendName = TFJS_BACKEND[engine.split('/')[1]];
  const options = { samples, epochs, batch, backendName };
  // One short warm-up of each (kernel setup, JIT), not timed.
  await timePlain(spec, weights, data, { ...options, samples: batch * 4, epochs: 1 });
  await timeTrainer(backend, spec, weights, data, { ...options, samples: batch * 4, epochs: 1 });
  const times = { plain: [], trainer: [], fit: [] };
  const losses = {};
  for (let round = 0; round < rounds; round++) {
    const plain = await timePlain(spec, weights, data, options);
    const trainer = await timeTrainer(backend, spec, weights, data, options);
    const core = await timeCoreFit(backend, spec, weights, data, options);
    times.plain.push(plain.secPerEpoch);
    times.trainer.push(trainer.secPerEpoch);
    times.fit.push(core.secPerEpoch);
    Object.assign(losses, { plain: plain.loss, trainer: trainer.loss, fit: core.loss });
  }
  const [plain, trainer, core] = [median(times.plain), median(times.trainer), median(times.fit)];
  return {
    workload: 'fit-overhead',
    engine,
    samples,
    epochs,
    batch,
    rounds,
    plainSecPerEpoch: plain,
    trainerSecPerEpoch: trainer,
    fitSecPerEpoch: core,
    trainerOverPlain: median(times.trainer.map((t, i) => t / times.plain[i])),
    fitOverPlain: median(times.fit.map((t, i) => t / times.plain[i])),
    perRound: times,
    finalLoss: losses,
  };
}
