import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint } from '@headstart/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HAVE_REDIS, type RedisServer, startRedis } from './redis-server.js';
import { jsonLines, ROOT, runCli } from './run-cli.js';
import { killWorkers, startWorker } from './worker-process.js';

const DIGITS = join(ROOT, 'data/digits/digits.csv');
const SKIP = !HAVE_REDIS && !process.env.CI;

async function weightsDigest(file: string): Promise<string> {
  const { weights } = await readCheckpoint(file);
  const hash = createHash('sha256');
  for (const [name, tensor] of [...weights].sort(([a], [b]) => a.localeCompare(b)))
    hash.update(name).update(Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
  return hash.digest('hex');
}

describe.skipIf(SKIP)(
  `run --queue on a real Redis${SKIP ? ' (skipped: redis-server is not installed; apt-get install redis-server)' : ''}`,
  () => {
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      killWorkers();
      await redis?.stop();
    });

    test('a pipeline runs as dependent jobs on workers and ends with the weights and metrics of a local run', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'headstart-distributed-pipeline-'));
      const pipeline = join(dir, 'pipeline.yaml');
      await writeFile(
        pipeline,
        `scale: 16
out: local
seed: 3
backend: onnx
stages:
  - { name: pretrain, strategy: full-retrain, data: ${DIGITS}, labels: [0, 1, 2, 3, 4], options: { epochs: 2 } }
  - { name: finetune, strategy: lp-ft, data: ${DIGITS}, labels: [5, 6, 7, 8, 9], perClass: 10, options: { epochs: 4 } }
`,
      );
      const store = join(dir, 'store');
      const workers = [startWorker(['--queue', redis.url, '--store', store]), startWorker(['--queue', redis.url, '--store', store])];
      const [local, queued] = await Promise.all([
        runCli(['run', pipeline, '--json'], { timeoutMs: 60_000 }),
        runCli(['run', pipeline, '--queue', redis.url, '--store', store, '--json'], { timeoutMs: 60_000 }),
      ]);
      for (const w of workers) w.child.kill('SIGTERM');
      expect(local.code).toBe(0);
      expect(queued.code).toBe(0);
      const [want, got] = [local, queued].map((run) => jsonLines(run.stdout).find((e) => e.type === 'result')!) as {
        checkpoint: string;
        metrics: unknown;
      }[];
      expect(got!.metrics).toEqual(want!.metrics);
      expect(got!.checkpoint).toMatch(new RegExp(`^${store}/run-pipeline-[0-9a-f]{12}/2-finetune\\.safetensors$`));
      expect(await weightsDigest(got!.checkpoint)).toBe(await weightsDigest(want!.checkpoint));
      const log = workers.map((w) => w.log()).join('');
      expect(log.indexOf('stage 1 "pretrain": done')).toBeGreaterThan(-1);
      expect(log).toContain('stage 2 "finetune": done');
      for (const w of workers) expect((await w.ended).code).toBe(130);
    }, 60_000);
  },
);
