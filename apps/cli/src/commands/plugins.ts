import { getRegistry } from '@headstart/core';
import { loadPlugins } from '../plugins/load-plugins.js';
import { table } from '../output/reporter.js';

/** `headstart plugins`: every registered plugin, its kind, package, version and origin, and load errors. */
export async function plugins(flags: { json?: boolean }): Promise<void> {
  const report = await loadPlugins();
  const registry = getRegistry();
  const rows = await Promise.all(
    registry.list().map(async (entry) => {
      const plugin = entry.status === 'active' ? await registry.get(entry.kind, entry.name).catch(() => undefined) : undefined;
      const origin = report.sources.find((s) => s.source === entry.source);
      return {
        kind: entry.kind,
        name: entry.name,
        source: entry.source,
        version: plugin?.meta.version ?? origin?.version ?? '',
        origin: origin?.origin ?? 'builtin',
        status: entry.status,
        priority: entry.priority,
      };
    }),
  );
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ plugins: rows, errors: report.warnings })}\n`);
    return;
  }
  process.stdout.write(
    `${table([['kind', 'name', 'package', 'version', 'origin', 'status'], ...rows.map((r) => [r.kind, r.name, r.source, r.version, r.origin, r.status])])}\n`,
  );
  for (const warning of report.warnings) process.stderr.write(`warning: ${warning}\n`);
}
