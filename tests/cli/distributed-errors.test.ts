import { mkdtemp, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HAVE_REDIS, type RedisServer, startRedis } from './redis-server.js';
import { ROOT, runCli } from './run-cli.js';
import { killWorkers, startWorker } from './worker-process.js';

const DIGITS = join(ROOT, 'data/digits/digits.csv');
const PASSWORD = 'hunter2-Secret';
const SKIP = !HAVE_REDIS && !process.env.CI;
/**
 * A port nobody listens on, so connecting to it is refused. Not one freePort() just closed: another test file's
 * Redis may take that meanwhile. Nor one held by a socket bound without listen() (a listening one would answer):
 * Node binds with SO_REUSEADDR, with which Linux still lets redis-server bind and listen on that port. Port 1
 * (tcpmux, long obsolete) needs root to listen on and lies outside the kernel's ephemeral range (32768-60999),
 * where every port this suite listens on comes from (listen on 0), so no test can take it.
 */
const NOBODY_LISTENS = 1;

async function experimentFile(body: string): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-queue-'));
  const file = join(dir, 'experiment.yaml');
  await writeFile(
    file,
    `name: queue errors
data: ${DIGITS}
scale: 16
source: { labels: [0, 1, 2, 3, 4], options: { epochs: 1 } }
target: { labels: [5, 6, 7, 8, 9], budgets: [10] }
${body}seeds: [1]
`,
  );
  return { dir, file };
}

describe('--queue URLs are checked, and their password is never printed', () => {
  test('a bad --queue URL is one line and exit 2, before anything connects', async () => {
    const { dir, file } = await experimentFile('strategies: [{ strategy: full-retrain }]\n');
    const cases: [string, RegExp][] = [
      [
        'http://:PASS@127.0.0.1:6379',
        /^headstart: --queue http:\/\/:\*\*\*@127\.0\.0\.1:6379: expected redis:\/\/.* or rediss:\/\/… \(TLS\)\n$/,
      ],
      [
        'redis://:PASS@127.0.0.1:6379/cache',
        /^headstart: --queue redis:\/\/:\*\*\*@127\.0\.0\.1:6379\/cache: the path must be a database number/,
      ],
      ['redis//:PASS@nowhere', /^headstart: --queue \*\*\*@nowhere: not a URL; expected redis:\/\//],
    ];
    const runs = await Promise.all(
      cases.map(([url]) => runCli(['compare', file, '--out', join(dir, 'out'), '--queue', url.replace('PASS', PASSWORD), '--store', dir])),
    );
    for (const [i, run] of runs.entries()) {
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(cases[i]![1]);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr + run.stdout).not.toContain(PASSWORD);
    }
  });

  test('a Redis nobody answers for is one line and exit 1, within seconds, for compare and worker alike', async () => {
    const { dir, file } = await experimentFile('strategies: [{ strategy: full-retrain }]\n');
    const url = `redis://:${PASSWORD}@127.0.0.1:${NOBODY_LISTENS}`;
    const started = Date.now();
    const runs = await Promise.all([
      runCli(['compare', file, '--out', join(dir, 'out'), '--queue', url, '--store', dir], { timeoutMs: 30_000 }),
      runCli(['worker', '--queue', url, '--store', dir], { timeoutMs: 30_000 }),
    ]);
    expect(Date.now() - started).toBeLessThan(20_000);
    for (const run of runs) {
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /^headstart: --queue redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: cannot reach Redis \(.*ECONNREFUSED.*\); is redis-server running there\?\n$/,
      );
      expect(run.stderr + run.stdout).not.toContain(PASSWORD);
    }
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  test('--store without --queue is refused', async () => {
    const { dir, file } = await experimentFile('strategies: [{ strategy: full-retrain }]\n');
    const run = await runCli(['compare', file, '--out', join(dir, 'out'), '--store', dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('headstart: --store goes with --queue: the folder the workers write to\n');
  });
});

describe.skipIf(SKIP)(
  `workers on a real Redis${SKIP ? ' (skipped: redis-server is not installed; apt-get install redis-server)' : ''}`,
  () => {
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await startRedis(PASSWORD);
    });
    afterAll(async () => {
      killWorkers();
      await redis?.stop();
    });

    test('a wrong password is one line and exit 2, the password not in it', async () => {
      const { dir, file } = await experimentFile('strategies: [{ strategy: full-retrain }]\n');
      const run = await runCli([
        'compare',
        file,
        '--out',
        join(dir, 'out'),
        '--queue',
        `redis://:not-${PASSWORD}@127.0.0.1:${redis.port}`,
        '--store',
        dir,
      ]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        /^headstart: --queue redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: Redis refused the credentials \(WRONGPASS .*\)\n$/,
      );
      expect(run.stderr).not.toContain(PASSWORD);
    });

    test('a run that fails for a reason of its own (a diverging loss) is reported with its message and not retried', async () => {
      const { dir, file } = await experimentFile('strategies: [{ strategy: full-retrain, options: { epochs: 3, lr: 1e30 } }]\n');
      const worker = startWorker(['--queue', redis.url, '--store', join(dir, 'store'), '--stall-after', '2']);
      const run = await runCli(['compare', file, '--out', join(dir, 'out'), '--queue', redis.url, '--store', join(dir, 'store')], {
        timeoutMs: 60_000,
      });
      worker.child.kill('SIGTERM');
      await worker.ended;
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /^headstart: 1 run failed, no report written: full-retrain, 10 labels\/class, seed 1: training diverged: .*lower the learning rate/m,
      );
      expect(worker.log().match(/full-retrain, 10 labels\/class, seed 1: started/g)).toHaveLength(1);
      expect(existsSync(join(dir, 'out', 'results.json'))).toBe(false);
    }, 60_000);

    test('rediss:// (TLS) works, and a certificate the worker cannot check is one line, the password not in it', async () => {
      const tls = await startRedis(PASSWORD, { tls: true });
      try {
        const dir = await mkdtemp(join(tmpdir(), 'headstart-tls-'));
        const [untrusted, trusted] = await Promise.all([
          runCli(['worker', '--queue', tls.url, '--store', dir], { timeoutMs: 30_000 }),
          new Promise<string>((resolve) => {
            const worker = startWorker(['--queue', tls.url, '--store', dir], undefined, 30_000, {
              NODE_EXTRA_CA_CERTS: join(tls.dir, 'ca.pem'),
            });
            const poll = setInterval(() => {
              if (!worker.log().includes('taking runs')) return;
              clearInterval(poll);
              worker.child.kill('SIGTERM');
              void worker.ended.then(() => resolve(worker.log()));
            }, 100);
          }),
        ]);
        expect(untrusted.code).toBe(1);
        expect(untrusted.stderr).toMatch(
          /^headstart: --queue rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+: cannot reach Redis \(self-signed certificate in certificate chain\); .*\n$/,
        );
        expect(trusted).toMatch(/^worker \d+: taking runs from rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+, store /);
        expect(untrusted.stderr + trusted).not.toContain(PASSWORD);
      } finally {
        await tls.stop();
      }
    }, 60_000);
  },
);
