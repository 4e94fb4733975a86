import { type ChildProcess, spawn } from 'node:child_process';
import { CLI, ROOT } from './run-cli.js';

/** A `headstart worker` process the test drives: what it printed so far, and how it ended. */
export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it printed on stderr (its log lines) so far. */
  log(): string;
  /** Resolves with the exit code or signal once it ends. */
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started = new Set<ChildProcess>();

/** SIGKILL every worker a test started that is still running: call in afterAll, so a failed test leaves none behind. */
export function killWorkers(): void {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  started.clear();
}

/**
 * Start `headstart worker ...args`; `onLine` sees each log line as it comes (and may kill it).
 * A worker still running after `timeoutMs` is killed, so a hang fails the test.
 */
export function startWorker(
  args: string[],
  onLine?: (line: string, child: ChildProcess) => void,
  timeoutMs = 120_000,
  env: Record<string, string> = {},
): WorkerProcess {
  const child = spawn(process.execPath, [CLI, 'worker', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  started.add(child);
  let stderr = '';
  let partial = '';
  child.stdout!.resume();
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) onLine?.(line, child);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    }),
  );
  return { child, log: () => stderr, ended };
}
