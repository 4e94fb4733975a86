import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getRegistry } from '@headstart/core';
import { registerLoaders } from '@headstart/data';
import { parse as parseYaml } from 'yaml';
import { CliError } from '../cli-error.js';
import { entryAt, readPackageJson, type PackageJson } from './package-json.js';
import { isNotInstalled, isOptionalBuiltin, markNotInstalled, OPTIONAL_BUILTINS } from './optional-builtins.js';
import { pluginTimeLimitMs } from './time-limit.js';
import { trialImport } from './trial-import.js';

export type { HeadstartField } from './package-json.js';

/** A plugin module that was loaded, or failed to. */
export interface PluginSource {
  /** Package name or path. */
  source: string;
  /** `builtin`, `dependency` (project package.json) or `config` (headstart.config). */
  origin: 'builtin' | 'dependency' | 'config';
  version?: string | undefined;
  entry: string;
  error?: string | undefined;
  /** An optional built-in (`@headstart/backend-tfjs`) that is not installed: not loaded, and no warning. */
  notInstalled?: boolean | undefined;
}

/** What discovery found. */
export interface PluginLoadReport {
  sources: PluginSource[];
  /**
   * One line per plugin that failed to load (`plugin <package>: <error>`), and per file met on the
   * way that could not be used (a project package.json that is not JSON, a folder in its place).
   */
  warnings: string[];
}

/** A package found on disk: its directory and what its package.json says. */
interface FoundPackage {
  dir: string;
  json: PackageJson;
}

/** Built-in plugin packages, in loading order, and the entry of each that the CLI imports. */
const BUILTINS: readonly { package: string; entry: string }[] = [
  { package: '@headstart/strategies', entry: '@headstart/strategies' },
  { package: '@headstart/backend-onnx', entry: '@headstart/backend-onnx' },
  ...OPTIONAL_BUILTINS,
];
const BUILTIN_NAMES = BUILTINS.map((b) => b.package);
const loaded = new Map<string, Promise<PluginLoadReport>>();

/**
 * Load plugins into the process registry: built-ins (an optional one not installed is noted, not
 * warned about), then every dependency of the project at `cwd`
 * whose package.json has a `headstart` field, then `plugins:` of `headstart.config.{json,yaml,yml}`.
 * A plugin that fails to load, or does not finish loading within the time limit
 * (HEADSTART_PLUGIN_TIMEOUT_MS), becomes a warning; the rest still work.
 */
export function loadPlugins(cwd = process.cwd()): Promise<PluginLoadReport> {
  let report = loaded.get(cwd);
  if (!report) loaded.set(cwd, (report = discover(cwd)));
  return report;
}

async function discover(cwd: string): Promise<PluginLoadReport> {
  const notes: string[] = [];
  const candidates = [...(await dependencyPlugins(cwd, notes)), ...(await configPlugins(cwd, notes))];
  // Third-party code is imported in a worker first, all at once and while the built-ins load, so
  // one that never returns is skipped, not waited for.
  const limitMs = pluginTimeLimitMs();
  const trials = Promise.all(
    candidates.map(async (c) => {
      if (c.error) return c;
      const trial = await trialImport(c.entry, limitMs);
      return trial.ok ? c : { ...c, error: trial.error };
    }),
  );
  registerLoaders();
  const sources: PluginSource[] = [];
  for (const builtin of BUILTINS) {
    const source = await importEntry({ source: builtin.package, origin: 'builtin', entry: builtin.entry });
    if (source.notInstalled) markNotInstalled(builtin.package);
    sources.push(source);
  }
  for (const candidate of await trials) sources.push(candidate.error ? candidate : await importEntry(candidate));
  return { sources, warnings: [...notes, ...sources.filter((s) => s.error).map((s) => `plugin ${s.source}: ${s.error}`)] };
}

/** Entry points of the project's dependencies that are headstart plugins. */
async function dependencyPlugins(cwd: string, notes: string[]): Promise<PluginSource[]> {
  const project = await findProjectManifest(cwd, notes);
  if (!project) return [];
  const found: PluginSource[] = [];
  for (const dep of [...new Set(project.json.dependencies)].filter((d) => !BUILTIN_NAMES.includes(d)).sort()) {
    const pkg = await findPackage(dep, project.dir);
    if (pkg && 'error' in pkg) found.push({ source: dep, origin: 'dependency', entry: dep, error: pkg.error });
    else if (pkg?.json.headstart) found.push(...entriesOf(dep, pkg, 'dependency'));
  }
  return found;
}

/** Entry points of the plugins named by headstart.config. */
async function configPlugins(cwd: string, notes: string[]): Promise<PluginSource[]> {
  const found: PluginSource[] = [];
  for (const spec of await configSpecs(cwd, notes)) {
    const pkg = await findPackage(spec, cwd, spec.startsWith('.') || isAbsolute(spec));
    if (!pkg)
      found.push({
        source: spec,
        origin: 'config',
        entry: spec,
        error: `cannot find plugin package "${spec}" (from headstart.config in ${cwd})`,
      });
    else if ('error' in pkg) found.push({ source: spec, origin: 'config', entry: spec, error: pkg.error });
    else if (!pkg.json.headstart)
      found.push({
        source: spec,
        origin: 'config',
        entry: spec,
        error: `package.json of "${spec}" has no "headstart" field naming its entry points`,
      });
    else found.push(...entriesOf(pkg.json.name ?? spec, pkg, 'config'));
  }
  return found;
}

function entriesOf(name: string, pkg: FoundPackage, origin: PluginSource['origin']): PluginSource[] {
  const entries = new Set(Object.values(pkg.json.headstart ?? {}).filter((e): e is string => typeof e === 'string'));
  const version = pkg.json.version ? { version: pkg.json.version } : {};
  return [...entries].map((entry) => ({ source: name, origin, entry: pathToFileURL(resolve(pkg.dir, entry)).href, ...version }));
}

async function importEntry(plugin: PluginSource): Promise<PluginSource> {
  try {
    await getRegistry().attributeTo(plugin.source, () => import(plugin.entry));
    return plugin;
  } catch (error) {
    if (plugin.origin === 'builtin' && isOptionalBuiltin(plugin.source) && isNotInstalled(plugin.source, error))
      return { ...plugin, notInstalled: true };
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    return { ...plugin, error: message };
  }
}

/**
 * The nearest package.json at or above `cwd`. One that cannot be used (not JSON, not an object)
 * ends the search with a note; a folder of that name is noted and passed over.
 */
async function findProjectManifest(cwd: string, notes: string[]): Promise<FoundPackage | undefined> {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    const at = await entryAt(file);
    if (at === 'other') notes.push(`${file}: not a file; passed over while looking for the project's package.json`);
    if (at === 'file') {
      const read = await readPackageJson(file);
      if ('error' in read) {
        notes.push(`${read.error}; plugins among the project's dependencies were not loaded`);
        return undefined;
      }
      return { dir, json: read.json };
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * A package's directory and package.json, found by walking node_modules up from `from` (or a
 * path); an error line naming its package.json when that cannot be read.
 */
async function findPackage(name: string, from: string, isPath = false): Promise<FoundPackage | { error: string } | undefined> {
  const candidates: string[] = [];
  if (isPath) candidates.push(resolve(from, name));
  else
    for (let dir = resolve(from); ; dir = dirname(dir)) {
      candidates.push(join(dir, 'node_modules', name));
      if (dirname(dir) === dir) break;
    }
  for (const dir of candidates) {
    const file = join(dir, 'package.json');
    const at = await entryAt(file);
    if (at === 'other') return { error: `${file}: not a file` };
    if (at === 'file') {
      const read = await readPackageJson(file);
      return 'error' in read ? read : { dir, json: read.json };
    }
  }
  return undefined;
}

/**
 * `plugins:` of the first headstart.config.{json,yaml,yml} in `cwd` that is a file (a folder of
 * that name is noted and passed over).
 * @throws CliError naming the file when it cannot be read or parsed, or `plugins` is not a list of names.
 */
async function configSpecs(cwd: string, notes: string[]): Promise<string[]> {
  for (const name of ['headstart.config.json', 'headstart.config.yaml', 'headstart.config.yml']) {
    const file = join(cwd, name);
    const at = await entryAt(file);
    if (at === 'none') continue;
    if (at === 'other') {
      notes.push(`${file}: not a file; passed over while looking for headstart's config`);
      continue;
    }
    const text = await readFile(file, 'utf8').catch((error: unknown) => {
      throw new CliError(`${file}: cannot read: ${(error as Error).message}`);
    });
    let config: unknown;
    try {
      config = name.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    } catch (error) {
      throw new CliError(`${file}: not valid ${name.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`);
    }
    const plugins = (config as { plugins?: unknown } | null)?.plugins ?? [];
    if (!Array.isArray(plugins) || plugins.some((p) => typeof p !== 'string')) {
      throw new CliError(`${file}: plugins: expected a list of package names or paths`);
    }
    return plugins as string[];
  }
  return [];
}
