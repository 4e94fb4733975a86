import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getRegistry } from '@headstart/core';
import { registerLoaders } from '@headstart/data';
import { parse as parseYaml } from 'yaml';
import { CliError } from '../cli-error.js';

/** The `headstart` field of a plugin package's package.json: entry points by kind. */
export interface HeadstartField {
  strategies?: string;
  backends?: string;
  loaders?: string;
}

/** A plugin module that was loaded, or failed to. */
export interface PluginSource {
  /** Package name or path. */
  source: string;
  /** `builtin`, `dependency` (project package.json) or `config` (headstart.config). */
  origin: 'builtin' | 'dependency' | 'config';
  version?: string;
  entry: string;
  error?: string;
}

/** What discovery found. */
export interface PluginLoadReport {
  sources: PluginSource[];
  /** One line per plugin that failed to load: `<package>: <error>`. */
  warnings: string[];
}

const BUILTINS = ['@headstart/strategies', '@headstart/backend-onnx', '@headstart/backend-tfjs'];
const loaded = new Map<string, Promise<PluginLoadReport>>();

/**
 * Load plugins into the process registry: built-ins, then every dependency of the project at `cwd`
 * whose package.json has a `headstart` field, then `plugins:` of `headstart.config.{json,yaml,yml}`.
 * A plugin that fails to load becomes a warning; the rest still work.
 */
export function loadPlugins(cwd = process.cwd()): Promise<PluginLoadReport> {
  let report = loaded.get(cwd);
  if (!report) loaded.set(cwd, (report = discover(cwd)));
  return report;
}

async function discover(cwd: string): Promise<PluginLoadReport> {
  const sources: PluginSource[] = [];
  registerLoaders();
  for (const name of BUILTINS) sources.push(await loadEntry(name, 'builtin', name));
  const project = await findProjectManifest(cwd);
  if (project) {
    const deps = Object.keys({ ...project.json.dependencies, ...project.json.devDependencies, ...project.json.optionalDependencies });
    for (const dep of deps.filter((d) => !BUILTINS.includes(d)).sort()) {
      const pkg = await readPackageOf(dep, project.dir);
      if (pkg?.json.headstart) sources.push(...(await loadPackage(dep, pkg, 'dependency')));
    }
  }
  for (const spec of await configPlugins(cwd)) {
    const asPath = spec.startsWith('.') || isAbsolute(spec);
    const pkg = await readPackageOf(spec, cwd, asPath);
    if (!pkg) sources.push({ source: spec, origin: 'config', entry: spec, error: `cannot find plugin package "${spec}" (from headstart.config in ${cwd})` });
    else if (!pkg.json.headstart) sources.push({ source: spec, origin: 'config', entry: spec, error: `package.json of "${spec}" has no "headstart" field naming its entry points` });
    else sources.push(...(await loadPackage(pkg.json.name ?? spec, pkg, 'config')));
  }
  return { sources, warnings: sources.filter((s) => s.error).map((s) => `plugin ${s.source}: ${s.error}`) };
}

interface PackageJson {
  name?: string;
  version?: string;
  headstart?: HeadstartField;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

async function loadPackage(name: string, pkg: { dir: string; json: PackageJson }, origin: PluginSource['origin']): Promise<PluginSource[]> {
  const entries = new Set(Object.values(pkg.json.headstart ?? {}).filter((e): e is string => typeof e === 'string'));
  const results: PluginSource[] = [];
  for (const entry of entries) results.push(await loadEntry(name, origin, pathToFileURL(resolve(pkg.dir, entry)).href, pkg.json.version));
  return results;
}

async function loadEntry(source: string, origin: PluginSource['origin'], specifier: string, version?: string): Promise<PluginSource> {
  try {
    await getRegistry().attributeTo(source, () => import(specifier));
    return { source, origin, entry: specifier, ...(version ? { version } : {}) };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    return { source, origin, entry: specifier, error: message };
  }
}

async function findProjectManifest(cwd: string): Promise<{ dir: string; json: PackageJson } | undefined> {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return { dir, json: await readPackageJson(file) };
    if (dirname(dir) === dir) return undefined;
  }
}

/** A package's directory and package.json, found by walking node_modules up from `from` (or a path). */
async function readPackageOf(name: string, from: string, isPath = false): Promise<{ dir: string; json: PackageJson } | undefined> {
  const candidates: string[] = [];
  if (isPath) candidates.push(resolve(from, name));
  else for (let dir = resolve(from); ; dir = dirname(dir)) {
    candidates.push(join(dir, 'node_modules', name));
    if (dirname(dir) === dir) break;
  }
  for (const dir of candidates) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return { dir, json: await readPackageJson(file) };
  }
  return undefined;
}

/** @throws CliError naming the file when it is not valid JSON. */
async function readPackageJson(file: string): Promise<PackageJson> {
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text) as PackageJson;
  } catch (error) {
    throw new CliError(`${file}: not valid JSON (${(error as Error).message}); headstart reads it to find plugin packages`);
  }
}

async function configPlugins(cwd: string): Promise<string[]> {
  for (const name of ['headstart.config.json', 'headstart.config.yaml', 'headstart.config.yml']) {
    const file = join(cwd, name);
    if (!existsSync(file)) continue;
    const text = await readFile(file, 'utf8');
    let config: { plugins?: unknown } | null;
    try {
      config = (name.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) as { plugins?: unknown } | null;
    } catch (error) {
      throw new CliError(`${file}: not valid ${name.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`);
    }
    const plugins = config?.plugins ?? [];
    if (!Array.isArray(plugins) || plugins.some((p) => typeof p !== 'string')) {
      throw new CliError(`${file}: plugins: expected a list of package names or paths`);
    }
    return plugins as string[];
  }
  return [];
}
