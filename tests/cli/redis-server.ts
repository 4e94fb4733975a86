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

/** A TCP port nobody listened on a moment ago: it is closed again before this returns, so anyone may take it next. */
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

/** How `startRedis` picks the port to try; `freePort` unless a test needs a given one first. */
export type PortPicker = () => Promise<number>;

/** How many ports `startRedis` tries before it gives up. */
const ATTEMPTS = 5;

/**
 * Start `redis-server` on a free port (with `password`, AUTH required; with `tls`, TLS only, its
 * certificate signed by the CA at `<dir>/ca.pem`) and wait until it accepts connections.
 *
 * `freePort` closes its port before redis-server binds it, so another test file (vitest runs them in parallel)
 * or any other process can take it in between: when redis-server exits because the address is in use, this
 * tries a new port, up to ATTEMPTS times.
 */
export async function startRedis(
  password?: string,
  options: { tls?: boolean; pickPort?: PortPicker } = {},
): Promise<RedisServer & { dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'headstart-redis-'));
  try {
    const tls = options.tls ? tlsArgs(dir) : [];
    const taken: number[] = [];
    while (taken.length < ATTEMPTS) {
      const port = await (options.pickPort ?? freePort)();
      const child = spawnRedis(port, dir, password, tls);
      if ((await ready(child)) === 'port taken') {
        taken.push(port);
        continue;
      }
      return {
        port,
        dir,
        url: `${options.tls ? 'rediss' : 'redis'}://${password ? `:${password}@` : ''}127.0.0.1:${port}`,
        async stop() {
          await stopChild(child);
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    throw new Error(`redis-server did not start: ports ${taken.join(', ')} were all in use (${ATTEMPTS} tries)`);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** `redis-server` on 127.0.0.1:`port` (the TLS port when `tls` holds its arguments), no persistence. */
function spawnRedis(port: number, dir: string, password: string | undefined, tls: string[]): ChildProcess {
  const listen = tls.length > 0 ? ['--port', '0', '--tls-port', String(port), ...tls] : ['--port', String(port)];
  const base = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  const args = [...listen, ...base, ...(password ? ['--requirepass', password] : [])];
  return spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/**
 * Resolves once `child` accepts connections, or with 'port taken' when it exited because its port is in use;
 * rejects (with redis-server's log) when it exited for any other reason or is not up within 10 s.
 */
function ready(child: ChildProcess): Promise<'ready' | 'port taken'> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server did not start within 10 s: ${output}`));
    }, 10_000);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve('ready');
      }
    });
    // 'close', not 'exit': only then has all of its log been read.
    child.once('close', (code) => {
      clearTimeout(timer);
      if (output.includes('Address already in use')) resolve('port taken');
      else reject(new Error(`redis-server exited (${code}): ${output}`));
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
