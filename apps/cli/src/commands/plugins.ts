import { getRegistry, type Backend, type ModelFormat } from '@headstart/core';
import { formatPlaces } from '../model-formats.js';
import { loadPlugins } from '../plugins/load-plugins.js';
import { table } from '../output/reporter.js';

/** A backend's format as `headstart plugins --json` lists it. */
interface FormatRow {
  name: string;
  extensions: readonly string[];
  directoryEntry?: string | undefined;
  import: boolean;
  export: boolean;
}

/**
 * `headstart plugins`: every registered plugin, its kind, package, version and origin, the formats
 * each backend imports and exports, and load errors.
 */
export async function plugins(flags: { json?: boolean | undefined }): Promise<void> {
  const report = await loadPlugins();
  const registry = getRegistry();
  const rows = await Promise.all(
    registry.list().map(async (entry) => {
      const plugin = entry.status === 'active' ? await registry.get(entry.kind, entry.name).catch(() => undefined) : undefined;
      const origin = report.sources.find((s) => s.source === entry.source);
      const formats = entry.kind === 'backend' && plugin ? { formats: ((plugin as Backend).formats ?? []).map(formatRow) } : {};
      return {
        kind: entry.kind,
        name: entry.name,
        source: entry.source,
        version: plugin?.meta.version ?? origin?.version ?? '',
        origin: origin?.origin ?? 'builtin',
        status: entry.status,
        priority: entry.priority,
        ...formats,
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
  const formats = rows
    .flatMap((r) => (r.status === 'active' ? (r.formats ?? []).map((f) => [f.name, r.name, directions(f), formatPlaces(f)]) : []))
    .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
  if (formats.length > 0) process.stdout.write(`\n${table([['format', 'backend', 'does', 'files'], ...formats])}\n`);
  for (const warning of report.warnings) process.stderr.write(`warning: ${warning}\n`);
}

function formatRow(format: ModelFormat): FormatRow {
  return {
    name: format.name,
    extensions: [...format.extensions],
    ...(format.directoryEntry ? { directoryEntry: format.directoryEntry } : {}),
    import: format.import === true,
    export: format.export === true,
  };
}

/** `import, export`, `import` or `export`. */
function directions(format: FormatRow): string {
  return [format.import ? 'import' : '', format.export ? 'export' : ''].filter(Boolean).join(', ') || '—';
}
