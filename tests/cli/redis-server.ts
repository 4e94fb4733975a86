import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Whether Debian's `redis-server` is installed (`apt-get install redis-server`). */
export const HAVE_REDIS = spawnSync('redis-server', ['--version']).status === 0;

/** A throwaway Redis on 127.0.0.1: no persistence, its own temp folder. */
export interface RedisServer {
  port: number;
  /** `redis://[:password@]127.0.0.1:PORT`. */
  url: string;
  stop(): Promise<void>;
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Start `redis-server` on a free port (with `password`, AUTH required; with `tls`, TLS only, its
 * certificate signed by the CA at `<dir>/ca.pem`) and wait until it accepts connections.
 */
export async function startRedis(password?: string, options: { tls?: boolean } = {}): Promise<RedisServer & { dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-redis-'));
  const port = await freePort();
  const base = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  const listen = options.tls ? ['--port', '0', '--tls-port', String(port), ...tlsArgs(dir)] : ['--port', String(port)];
  const args = [...listen, ...base, ...(password ? ['--requirepass', password] : [])];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await ready(child);
  return {
    port,
    dir,
    url: `${options.tls ? 'rediss' : 'redis'}://${password ? `:${password}@` : ''}127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}): ${output}`));
    });
  });
}

/** A throwaway CA and a server certificate for 127.0.0.1 signed by it, made with openssl in `dir`. */
function tlsArgs(dir: string): string[] {
  const openssl = (...args: string[]): void => {
    const run = spawnSync('openssl', args, { cwd: dir });
    if (run.status !== 0) throw new Error(`openssl ${args[0]}: ${run.stderr}`);
  };
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=headstart test CA',
  );
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '1',
    '-extfile',
    'ext.cnf',
  );
  return [
    '--tls-cert-file',
    join(dir, 'server.pem'),
    '--tls-key-file',
    join(dir, 'server.key'),
    '--tls-ca-cert-file',
    join(dir, 'ca.pem'),
    '--tls-auth-clients',
    'no',
  ];
}
