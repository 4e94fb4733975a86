import { HeadstartError, isUserError } from '@headstart/core';

/** Exit codes of the `headstart` binary (README.md "Using the CLI"; docs/reliability.md). */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** An expected CLI failure: printed as one line, exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** How an error should end the process: the line to print, the exit code, and whether to show the stack. */
export function classify(error: unknown): { message: string; exitCode: number; stack: boolean } {
  if (error instanceof CliError) return { message: oneLine(error.message), exitCode: error.exitCode, stack: false };
  if (error instanceof HeadstartError && error.code === 'INTERRUPTED')
    return { message: oneLine(error.message), exitCode: EXIT.interrupted, stack: false };
  if (isUserError(error)) return { message: oneLine(error.message), exitCode: EXIT.usage, stack: false };
  const message = error instanceof Error ? error.message : String(error);
  return { message, exitCode: EXIT.failure, stack: true };
}

/**
 * A message as the one line an expected error prints: line breaks (a library's wording quoted in
 * a message, commander's "(Did you mean …?)") become spaces.
 */
export function oneLine(message: string): string {
  return message.trim().replace(/\s*[\r\n]+\s*/g, ' ');
}
