#!/usr/bin/env node
// Fails (exit 1) when a package imports across the boundaries CONTRIBUTING.md describes:
//   core imports no backend, strategy, CLI or compute library;
//   data imports only @headstart/core of our packages and no compute library;
//   backends import only @headstart/core of our packages; strategies only @headstart/core and @headstart/data, and no compute library;
//   every bare import of a package's source is declared in its package.json.
// Usage: check-boundaries.mjs [packageDir ...]   (default: every workspace package)
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { builtinModules } from 'node:module';
import ts from 'typescript';

const COMPUTE = /^(@tensorflow\/|onnxruntime)/;
const RULES = {
  core: { forbid: [/^@headstart\//, COMPUTE], why: 'core must not import a backend, a strategy, the CLI or a compute library' },
  data: { forbid: [/^@headstart\/(?!core$)/, COMPUTE], why: 'data may import only @headstart/core of our packages and no compute library' },
  backend: { forbid: [/^@headstart\/(?!core$)/], why: 'a backend may import only @headstart/core of our packages' },
  strategies: {
    forbid: [/^@headstart\/(?!(core|data)$)/, COMPUTE],
    why: 'strategies may import only @headstart/core and @headstart/data, and no compute library',
  },
};

function kindOf(pkg) {
  if (pkg.name === '@headstart/core') return 'core';
  if (pkg.name === '@headstart/data') return 'data';
  if (pkg.name === '@headstart/strategies' || pkg.headstart?.strategies) return 'strategies';
  if (pkg.headstart?.backends) return 'backend';
  return undefined;
}

function sourceFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === '__fixtures__' ? [] : sourceFiles(path);
    return /\.(ts|mts|js|mjs)$/.test(name) && !/\.d\.ts$/.test(name) ? [path] : [];
  });
}

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function check(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const kind = kindOf(pkg);
  const declared = new Set([pkg.name, ...Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies })]);
  const problems = [];
  for (const file of sourceFiles(join(dir, 'src'))) {
    const isTest = /\.test\.[mc]?[jt]s$/.test(file);
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: spec } of importedFiles) {
      if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec)) continue;
      const where = `${relative(process.cwd(), file)}: imports "${spec}"`;
      const rule = kind && RULES[kind];
      if (rule && !isTest && rule.forbid.some((re) => re.test(packageName(spec)))) problems.push(`${where}: ${rule.why}`);
      else if (!isTest && !declared.has(packageName(spec)))
        problems.push(`${where}: not declared in ${relative(process.cwd(), join(dir, 'package.json'))}`);
    }
  }
  return problems;
}

function workspacePackages(root) {
  const { workspaces = [] } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return workspaces
    .flatMap((pattern) => {
      if (!pattern.endsWith('/*')) return [join(root, pattern)];
      const base = join(root, pattern.slice(0, -2));
      return existsSync(base) ? readdirSync(base).map((d) => join(base, d)) : [];
    })
    .filter((d) => existsSync(join(d, 'package.json')));
}

const dirs = process.argv.length > 2 ? process.argv.slice(2).map((d) => resolve(d)) : workspacePackages(resolve(import.meta.dirname, '..'));
const problems = dirs.flatMap(check);
if (problems.length > 0) {
  for (const p of problems) console.error(`boundary violation: ${p}`);
  process.exit(1);
}
