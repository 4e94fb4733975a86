import { connect, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort, HAVE_REDIS, startRedis } from './redis-server.js';

const SKIP = !HAVE_REDIS && !process.env.CI;

/** A server listening on 127.0.0.1 that holds its port, as another test's Redis would. */
function occupy(): Promise<Server & { port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(Object.assign(server, { port: (server.address() as { port: number }).port })));
  });
}

/** Redis's answer to PING on 127.0.0.1:`port`. */
function ping(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('error', reject);
    socket.once('data', (data) => {
      socket.end();
      resolve(data.toString());
    });
  });
}

describe.skipIf(SKIP)(
  `startRedis when its port is taken${SKIP ? ' (skipped: redis-server is not installed; apt-get install redis-server)' : ''}`,
  () => {
    let taken: Server & { port: number };
    beforeAll(async () => {
      taken = await occupy();
    });
    afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

    test('a port taken between picking and binding is given up for another one, and that Redis answers', async () => {
      const picked: number[] = [];
      const redis = await startRedis(undefined, {
        pickPort: async () => {
          picked.push(picked.length === 0 ? taken.port : await freePort());
          return picked.at(-1)!;
        },
      });
      try {
        expect(picked).toHaveLength(2);
        expect(redis.port).toBe(picked[1]);
        expect(await ping(redis.port)).toBe('+PONG\r\n');
      } finally {
        await redis.stop();
      }
    });

    test('when every port it tries is taken, it gives up after 5 tries with one clear error', async () => {
      await expect(startRedis(undefined, { pickPort: async () => taken.port })).rejects.toThrow(
        `redis-server did not start: ports ${Array(5).fill(taken.port).join(', ')} were all in use (5 tries)`,
      );
    });
  },
);
