import { readFile, stat } from 'node:fs/promises';

/** The `headstart` field of a plugin package's package.json: entry points by kind. */
export interface HeadstartField {
  strategies?: string | undefined;
  backends?: string | undefined;
  loaders?: string | undefined;
}

/** What plugin discovery takes from a package.json, each field checked for its type. */
export interface PackageJson {
  name?: string | undefined;
  version?: string | undefined;
  /** Entry point paths, when the package is a headstart plugin. */
  headstart?: HeadstartField | undefined;
  /** Names in `dependencies`, `devDependencies` and `optionalDependencies`. */
  dependencies: string[];
}

/** A package.json read, or the one line saying why it could not be (naming the file). */
export type PackageJsonRead = { json: PackageJson } | { error: string };

/**
 * What is at `file`: a regular file (or a link to one), something else (a folder named
 * package.json), or nothing (missing, or not reachable).
 */
export async function entryAt(file: string): Promise<'file' | 'other' | 'none'> {
  const info = await stat(file).catch(() => undefined);
  return info === undefined ? 'none' : info.isFile() ? 'file' : 'other';
}

/**
 * Read a package.json that belongs to someone else (a project, a dependency): any content is
 * survived. Not JSON, or not an object (`null`, `[]`, `"x"`), or a `headstart` field that is not an
 * object, is an error naming the file; other fields of the wrong type are ignored.
 */
export async function readPackageJson(file: string): Promise<PackageJsonRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { error: `${file}: cannot read: ${(error as Error).message}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `${file}: not valid JSON (${(error as Error).message.split('\n')[0]})` };
  }
  if (!isObject(value)) return { error: `${file}: expected a JSON object, got ${describe(value)}` };
  if (value.headstart != null && !isObject(value.headstart)) {
    return {
      error: `${file}: "headstart" names the plugin's entry points, e.g. { "strategies": "./index.js" }; got ${describe(value.headstart)}`,
    };
  }
  const json: PackageJson = {
    dependencies: ['dependencies', 'devDependencies', 'optionalDependencies'].flatMap((key) =>
      isObject(value[key]) ? Object.keys(value[key]) : [],
    ),
  };
  if (typeof value.name === 'string') json.name = value.name;
  if (typeof value.version === 'string') json.version = value.version;
  if (isObject(value.headstart)) json.headstart = value.headstart as HeadstartField;
  return { json };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
