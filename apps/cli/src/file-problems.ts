import type { z } from 'zod';

/** The issue to report: a misspelt field (an unknown key) explains more than the field it left missing. */
export function firstIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue {
  return issues.find((issue) => issue.code === 'unrecognized_keys') ?? issues[0]!;
}

/** The yaml library's first line, without the colon that introduces its source excerpt. */
export function yamlProblem(error: unknown): string {
  return (error as Error).message.split('\n')[0]!.replace(/:\s*$/, '');
}
