import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** The built CLI's entry point. */
export const CLI = join(import.meta.dirname, '..', '..', 'apps', 'cli', 'dist', 'bin.js');
/** The repository root. */
export const ROOT = join(import.meta.dirname, '..', '..');

/** What a CLI run printed and how it ended. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Run `headstart ...args` as a user would, without a terminal (so output is JSON lines). With
 * `timeoutMs`, a run still going then is killed (SIGKILL), so a hang fails the test instead of stalling it.
 * `nodeArgs` go to node before the CLI's path (`--max-old-space-size=64`); `cli` runs another copy of its bin.js.
 */
export function runCli(
  args: string[],
  options: {
    cwd?: string | undefined;
    timeoutMs?: number | undefined;
    nodeArgs?: string[] | undefined;
    cli?: string | undefined;
    onStdout?: ((chunk: string, child: import('node:child_process').ChildProcess) => void) | undefined;
  } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.cli ?? CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.timeoutMs ? { timeout: options.timeoutMs, killSignal: 'SIGKILL' as const } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(chunk, child);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The JSON lines of a run's stdout. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
