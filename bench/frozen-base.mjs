// Frozen-base head training on the digits CNN, through the frozen base vs on features computed once:
// seconds per epoch of each, in this process, on one backend.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applyPreprocessing,
  defaultModelSpec,
  computePreprocessing,
  initializeWeights,
  createRng,
  loadDataset,
  runStrategy,
} from '@headstart/core';
import { frozenBase } from '@headstart/strategies';

const DIGITS = new URL('../data/digits/digits.csv', import.meta.url).pathname;

/**
 * Median of the per-epoch seconds. The first epoch is left out (it builds sessions and warms up kernels); tfjs keeps
 * warming up (V8) for two or three more, which 20 epochs leave well below the median.
 */
function medianEpoch(seconds) {
  const sorted = seconds.slice(1).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function frozenBaseSpeed(backend, { epochs = 20 } = {}) {
  const raw = await loadDataset(DIGITS, { sampleShape: [8, 8, 1] });
  const pre = computePreprocessing('scale', raw, 16);
  const data = applyPreprocessing(pre, raw);
  const spec = defaultModelSpec([8, 8, 1], 10);
  const from = { file: 'base', spec, weights: initializeWeights(spec, createRng(3)), labels: data.labelMap, preprocessing: pre };
  const dir = await mkdtemp(join(tmpdir(), 'headstart-bench-'));
  const engine = (await backend.probe()).engine;
  const run = async (cacheFeatures) => {
    // Timed here with performance.now(): the events' own `seconds` are whole milliseconds, too coarse for a cached epoch.
    const epochSeconds = [];
    let epochStart = 0;
    const started = Date.now();
    await runStrategy({
      strategy: frozenBase(),
      options: { epochs, cacheFeatures },
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
        if (e.type === 'epoch-start') epochStart = performance.now();
        if (e.type === 'epoch-end') epochSeconds.push((performance.now() - epochStart) / 1000);
      },
    });
    return { perEpoch: medianEpoch(epochSeconds), total: (Date.now() - started) / 1000 };
  };
  const [through, cached] = [await run(false), await run(true)];
  return {
    workload: 'frozen-base-cnn',
    backend: backend.name,
    engine,
    throughBaseSecPerEpoch: through.perEpoch,
    cachedSecPerEpoch: cached.perEpoch,
    speedupPerEpoch: through.perEpoch / cached.perEpoch,
    throughBaseTotal: through.total,
    cachedTotal: cached.total,
    epochs,
  };
}
