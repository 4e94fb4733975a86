// Frozen-base head training, through the frozen base vs on features computed once: seconds per epoch of each, and the
// one-off cost of computing the cache, in this process, on one backend. Two bases: the digits CNN (1,797 samples of
// 8×8×1) and torchvision's ResNet-18 (issue 17, item 5: seeded random 3×32×32 images, 10 classes).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng, defaultModelSpec, initializeWeights, runStrategy, validateSpec } from '@headstart/core';
import { applyPreprocessing, computePreprocessing, loadDataset, registerLoaders } from '@headstart/data';
import { frozenBase } from '@headstart/strategies';
import { resnet18Spec } from './torchvision-specs.mjs';

const DIGITS = new URL('../data/digits/digits.csv', import.meta.url).pathname;

/** The bases: their model, data and epochs. The ResNet's epochs are few: through the base one takes seconds. */
export const FROZEN_BASES = {
  'digits-cnn': { epochs: 20, data: digitsData, spec: () => defaultModelSpec([8, 8, 1], 10) },
  resnet18: { epochs: 4, data: () => randomImages(512, [32, 32, 3]), spec: () => validateSpec(resnet18Spec({ classes: 10, size: 32 })) },
};

async function digitsData() {
  registerLoaders();
  const raw = await loadDataset(DIGITS, { sampleShape: [8, 8, 1] });
  const pre = computePreprocessing('scale', raw, 16);
  return { data: applyPreprocessing(pre, raw), pre };
}

/** `size` seeded random images in [0, 1) with labels 0..9 (the speed does not depend on the values). */
function randomImages(size, sampleShape) {
  const rng = createRng(11);
  const width = sampleShape.reduce((a, b) => a * b, 1);
  const data = {
    size,
    sampleShape,
    features: Float32Array.from({ length: size * width }, () => rng.next()),
    labels: Int32Array.from({ length: size }, (_, i) => i % 10),
    labelMap: Array.from({ length: 10 }, (_, i) => i),
    source: { file: 'random', format: 'bench' },
  };
  return { data, pre: computePreprocessing('none', data) };
}

const cpuSeconds = (usage) => (usage.user + usage.system) / 1e6;

/**
 * Median of the per-epoch seconds. The first epoch is left out (it builds sessions and warms up kernels); tfjs keeps
 * warming up (V8) for two or three more, which 20 epochs leave well below the median.
 */
function medianEpoch(seconds) {
  const sorted = seconds.slice(1).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Time frozen-base on `base` (a key of FROZEN_BASES) through the base, then with cached features. `cacheSeconds` is from
 * the call to the strategy's log saying the features were computed (the base's session built and its forward pass over
 * the training data): what caching costs once, before the head's first epoch.
 */
export async function frozenBaseSpeed(backend, { base = 'digits-cnn', epochs } = {}) {
  const setup = FROZEN_BASES[base];
  if (!setup) throw new Error(`frozen-base: no base "${base}"; known: ${Object.keys(FROZEN_BASES).join(', ')}`);
  const { data, pre } = await setup.data();
  const spec = setup.spec();
  const from = { file: 'base', spec, weights: initializeWeights(spec, createRng(3)), labels: data.labelMap, preprocessing: pre };
  const dir = await mkdtemp(join(tmpdir(), 'headstart-bench-'));
  const engine = (await backend.probe()).engine;
  const run = async (cacheFeatures) => {
    // Timed here with performance.now(): the events' own `seconds` are whole milliseconds, too coarse for a cached epoch.
    const [epochSeconds, epochCpu] = [[], []];
    let [epochStart, epochCpuStart] = [0, undefined];
    let cache;
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    await runStrategy({
      strategy: frozenBase(),
      options: { epochs: epochs ?? setup.epochs, cacheFeatures },
      backend,
      engine,
      data: { train: data },
      preprocessing: pre,
      from,
      spec,
      seed: 1,
      out: join(dir, `${cacheFeatures}.safetensors`),
      signal: new AbortController().signal,
      emit: (e) => {
        if (e.type === 'epoch-start') [epochStart, epochCpuStart] = [performance.now(), process.cpuUsage()];
        if (e.type === 'epoch-end') {
          epochSeconds.push((performance.now() - epochStart) / 1000);
          epochCpu.push(cpuSeconds(process.cpuUsage(epochCpuStart)));
        }
        if (e.type === 'log' && e.message.includes('features were computed once'))
          cache = { seconds: (performance.now() - started) / 1000, cpuSeconds: cpuSeconds(process.cpuUsage(cpuStarted)) };
      },
    });
    return { perEpoch: medianEpoch(epochSeconds), cpuPerEpoch: medianEpoch(epochCpu), total: (performance.now() - started) / 1000, cache };
  };
  try {
    const [through, cached] = [await run(false), await run(true)];
    return {
      workload: base === 'digits-cnn' ? 'frozen-base-cnn' : `frozen-base-${base}`,
      backend: backend.name,
      engine,
      samples: data.size,
      throughBaseSecPerEpoch: through.perEpoch,
      cachedSecPerEpoch: cached.perEpoch,
      speedupPerEpoch: through.perEpoch / cached.perEpoch,
      // The same by the process's CPU time (all threads): on this shared machine wall time is often waiting for a core.
      throughBaseCpuSecPerEpoch: through.cpuPerEpoch,
      cachedCpuSecPerEpoch: cached.cpuPerEpoch,
      cacheSeconds: cached.cache?.seconds,
      cacheCpuSeconds: cached.cache?.cpuSeconds,
      throughBaseTotal: through.total,
      cachedTotal: cached.total,
      epochs: epochs ?? setup.epochs,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
