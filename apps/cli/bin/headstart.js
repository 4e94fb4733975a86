#!/usr/bin/env node
// The `headstart` command. This file is committed, not built: npm links a package's bin only when
// the file exists at install time, so pointing `bin` at dist/ left a fresh `npm ci` of the
// workspace without `npx headstart` (and npx then fetched whatever the registry serves under that
// name). It runs the built CLI, or says how to build it.
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write('headstart: the CLI is not built yet (apps/cli/dist is missing); run `npm run build` at the repository root\n');
  process.exit(2);
}
await import(built.href);
