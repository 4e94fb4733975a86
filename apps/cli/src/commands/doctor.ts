import { getRegistry } from '@headstart/core';
import { createBuiltinBackends } from '../plugins/create-builtin-backends.js';
import { loadPlugins } from '../plugins/load-plugins.js';
import { installHint, notInstalledBuiltins } from '../plugins/optional-builtins.js';
import { withTimeLimit } from '../plugins/time-limit.js';

/** `headstart doctor`: which backends and engines work here, and why (not); an optional built-in backend not installed is listed so. */
export async function doctor(flags: { json?: boolean | undefined }): Promise<void> {
  const report = await loadPlugins();
  const registry = getRegistry();
  await createBuiltinBackends(registry.names('backend'));
  const backends = await Promise.all(
    registry.names('backend').map(async (name) => {
      try {
        const { availability } = await withTimeLimit(registry.start(name), `backend "${name}": its probe()`);
        return { name, ...availability };
      } catch (error) {
        return { name, available: false, reasons: [error instanceof Error ? error.message : String(error)] };
      }
    }),
  );
  const registered = new Set(backends.map((b) => b.name));
  const missing = notInstalledBuiltins()
    .filter((b) => !registered.has(b.backend))
    .map((b) => ({ name: b.backend, available: false, installed: false, reasons: [`not installed: ${installHint(b)} to use it`] }));
  backends.push(...missing);
  const node = { version: process.version, platform: `${process.platform}-${process.arch}` };
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ node, backends, pluginErrors: report.warnings })}\n`);
    return;
  }
  const lines = [`node ${node.version} on ${node.platform}`];
  for (const b of backends) {
    lines.push(`${b.available ? '✔' : '✘'} ${b.name}${'engine' in b && b.engine ? ` — engine ${b.engine}` : ''}`);
    for (const reason of b.reasons) lines.push(`    ${reason}`);
    if (b.available) lines.push(`    devices: ${('devices' in b && b.devices ? b.devices : ['cpu']).join(', ')}`);
    for (const [key, value] of Object.entries('details' in b ? (b.details ?? {}) : {})) lines.push(`    ${key}: ${value}`);
  }
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
