import { getRegistry, PluginError, type Backend, type ModelFormat } from '@headstart/core';
import { existsSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError } from './cli-error.js';
import { installHint, notInstalledBuiltins } from './plugins/optional-builtins.js';

/** A format, and the registered backend that declares it. */
export interface DeclaredFormat {
  backend: Backend;
  format: ModelFormat;
}

/** The formats the active backends declare, and the backends that failed to start (their errors, one line each). */
export interface FormatCatalog {
  formats: DeclaredFormat[];
  broken: string[];
}

/** A model file and the format (and backend) that imports it. */
export interface Importer extends DeclaredFormat {
  /** The file the format reads: `file` itself, or its {@link ModelFormat.directoryEntry} for a directory. */
  file: string;
}

/** How many bytes of a file a format's `sniff` sees. */
const SNIFF_BYTES = 4096;

/**
 * Every format the active backends declare, in backend-name order. A backend that fails to start
 * does not stop the others (as with data loaders); its error is kept for the no-match message.
 */
export async function declaredFormats(): Promise<FormatCatalog> {
  const registry = getRegistry();
  const settled = await Promise.allSettled(registry.names('backend').map((name) => registry.get('backend', name)));
  const formats = settled.flatMap((result) =>
    result.status === 'fulfilled' ? (result.value.formats ?? []).map((format) => ({ backend: result.value, format })) : [],
  );
  const broken = settled.flatMap((result) =>
    result.status === 'rejected' ? [String((result.reason as Error)?.message ?? result.reason)] : [],
  );
  return { formats, broken };
}

/**
 * The format that imports `file`: the one whose extension its name ends with (a directory: whose
 * `directoryEntry` it holds); when several claim the name, or none does, the one whose `sniff`
 * accepts the file's first bytes.
 * @throws CliError, one line listing the import formats and their extensions, when no format or
 * more than one fits; or when the file does not exist.
 */
export async function findImporter(file: string): Promise<Importer> {
  if (!existsSync(file)) throw new CliError(`${file}: no such file`);
  const { formats, broken } = await declaredFormats();
  const importers = formats.filter((f) => f.format.import);
  const byName = importers.flatMap((f) => claimByName(f, file));
  let chosen = byName;
  if (byName.length !== 1) {
    const pool = byName.length > 0 ? byName : importers.flatMap((f) => (isDirectory(file) ? [] : [{ ...f, file }]));
    chosen = await sniffed(pool);
  }
  if (chosen.length === 1) return checkImports(chosen[0]!);
  const known = `the formats are: ${describeFormats(importers) || 'none'}${broken.map((b) => `; failed to start: ${b}`).join('')}${notInstalledNote()}`;
  if (chosen.length === 0) {
    const why = isDirectory(file) ? 'directory (it holds no file a format names)' : 'file (by its name or its first bytes)';
    throw new CliError(`${file}: no backend imports this ${why}; ${known}`);
  }
  throw new CliError(
    `${file}: its name and first bytes fit more than one format (${chosen.map((c) => c.format.name).join(', ')}), and headstart does not guess; ${known}`,
  );
}

/**
 * The backend that exports format `name`.
 * @throws CliError, one line listing the export formats, when no backend or more than one declares it.
 */
export async function findExporter(name: string): Promise<DeclaredFormat> {
  const { formats, broken } = await declaredFormats();
  const exporters = formats.filter((f) => f.format.export);
  const matches = exporters.filter((f) => f.format.name === name);
  const known = [...new Set(exporters.map((f) => f.format.name))].sort().join(', ') || 'none';
  const failed = broken.map((b) => `; failed to start: ${b}`).join('') + notInstalledNote();
  if (matches.length === 0) throw new CliError(`--format ${name}: no backend exports it (formats: ${known})${failed}`);
  if (matches.length > 1)
    throw new CliError(
      `--format ${name}: more than one backend exports it (${matches.map((m) => m.backend.name).join(', ')}); uninstall the one you do not want`,
    );
  const [match] = matches as [DeclaredFormat];
  if (!match.backend.exportModel)
    throw new PluginError(
      `backend:${match.backend.name}`,
      'formats',
      new Error(`declares format "${name}" with export, but has no exportModel`),
    );
  return match;
}

/** `; not installed: the tfjs backend (npm install @headstart/backend-tfjs)`, when an optional built-in is missing. */
function notInstalledNote(): string {
  return notInstalledBuiltins()
    .map((b) => `; not installed: the ${b.backend} backend (${installHint(b)})`)
    .join('');
}

/** `onnx (.onnx), tfjs (.json, or a directory holding model.json)`: formats as error messages list them. */
export function describeFormats(formats: readonly DeclaredFormat[]): string {
  return formats.map(({ format }) => `${format.name} (${formatPlaces(format)})`).join(', ');
}

/** A format's extensions, and the directory it may be given as: `.json, or a directory holding model.json`. */
export function formatPlaces(format: Pick<ModelFormat, 'extensions' | 'directoryEntry'>): string {
  const directory = format.directoryEntry ? `a directory holding ${format.directoryEntry}` : '';
  if (format.extensions.length === 0) return directory || 'any name';
  return format.extensions.join(', ') + (directory ? `, or ${directory}` : '');
}

/** `declared` with the file it reads, when `file`'s name (or, for a directory, its content) says this format. */
function claimByName(declared: DeclaredFormat, file: string): Importer[] {
  const { format } = declared;
  if (isDirectory(file)) {
    const entry = format.directoryEntry ? join(file, format.directoryEntry) : undefined;
    return entry && existsSync(entry) ? [{ ...declared, file: entry }] : [];
  }
  const name = file.toLowerCase();
  return format.extensions.some((extension) => name.endsWith(extension.toLowerCase())) ? [{ ...declared, file }] : [];
}

/** The candidates whose sniff accepts the first bytes of the file each would read. */
async function sniffed(pool: readonly Importer[]): Promise<Importer[]> {
  const heads = new Map<string, Uint8Array>();
  const accepted: Importer[] = [];
  for (const candidate of pool) {
    if (!heads.has(candidate.file)) heads.set(candidate.file, await head(candidate.file));
    if (candidate.format.sniff(heads.get(candidate.file)!)) accepted.push(candidate);
  }
  return accepted;
}

/** Up to {@link SNIFF_BYTES} bytes from the start of `file`. */
async function head(file: string): Promise<Uint8Array> {
  const unreadable = (error: unknown): never => {
    throw new CliError(`${file}: cannot read it (${(error as Error).message})`);
  };
  const handle = await open(file, 'r').catch(unreadable);
  try {
    const bytes = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await handle.read(bytes, 0, SNIFF_BYTES, 0).catch(unreadable);
    return bytes.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** `importer`, once it is certain its backend can import (it declared the format). */
function checkImports(importer: Importer): Importer {
  if (importer.backend.importModel) return importer;
  throw new PluginError(
    `backend:${importer.backend.name}`,
    'formats',
    new Error(`declares format "${importer.format.name}" with import, but has no importModel`),
  );
}

/** Whether `file` is a directory (a tfjs model given as its folder). */
function isDirectory(file: string): boolean {
  return existsSync(file) && statSync(file).isDirectory();
}
