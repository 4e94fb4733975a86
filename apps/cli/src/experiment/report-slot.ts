import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkOutput } from '@headstart/core';
import { CliError } from '../cli-error.js';
import type { Experiment } from './experiment.js';

/** The files a report writes into its folder. */
export const REPORT_FILES = ['results.json', 'report.md', 'report.html'] as const;

/**
 * Before any run trains: the report's files can be written (not a device, pipe or folder), and
 * `out` does not hold the report of another experiment, which this one would silently replace.
 * Rerunning the same experiment into its own folder replaces its report, as a rerun should.
 * @throws CliError naming the folder and what to do.
 */
export async function checkReportSlot(out: string, experiment: Experiment): Promise<void> {
  for (const name of REPORT_FILES) await checkOutput({ flag: '--out', path: join(out, name) }, []);
  const results = join(out, 'results.json');
  let earlier: unknown;
  try {
    earlier = (JSON.parse(await readFile(results, 'utf8')) as { experiment?: unknown }).experiment;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new CliError(`--out ${out}: ${results} is not a headstart report; choose another --out, or delete it`);
  }
  if (JSON.stringify(earlier) === JSON.stringify(experiment)) return;
  const name = (earlier as { name?: unknown } | undefined)?.name;
  throw new CliError(
    `--out ${out} holds the report of another experiment${typeof name === 'string' ? ` ("${name}")` : ''}; choose another --out, or delete it to replace that report`,
  );
}
