import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { CLI, type CliRun } from './run-cli.js';

/** How to run the CLI when {@link runCli} is not enough: other stdio, environment, or a hand on the child. */
export interface SpawnOptions {
  cwd: string;
  /** Default: stdin ignored, stdout and stderr piped and collected. */
  stdio?: StdioOptions | undefined;
  /** Added to this process's environment. */
  env?: Record<string, string> | undefined;
  /** Sees each stdout chunk (may close the pipe: `child.stdout.destroy()`). */
  onStdout?: ((chunk: string, child: ChildProcess) => void) | undefined;
  /** Called once the child has started. */
  onSpawn?: ((child: ChildProcess) => void) | undefined;
  /** A run still going then is killed (SIGKILL), so a hang fails the test. Default 60 s. */
  timeoutMs?: number | undefined;
}

/** Run `file ...args` (default: the built CLI under node) and collect what it printed and how it ended. */
export function spawnCli(args: string[], options: SpawnOptions, file?: string): Promise<CliRun> {
  const [command, argv] = file ? [file, args] : [process.execPath, [CLI, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, {
      cwd: options.cwd,
      stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
      timeout: options.timeoutMs ?? 60_000,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(chunk, child);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('spawn', () => options.onSpawn?.(child));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
