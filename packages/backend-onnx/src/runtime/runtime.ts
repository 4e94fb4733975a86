import type * as Ort from 'onnxruntime-node';

/** The onnxruntime-node module, as loaded. */
export type OrtModule = typeof Ort;

/** The outcome of loading onnxruntime-node: the module, or why it failed. */
export type RuntimeLoad = { ort: OrtModule; version: string } | { ort?: undefined; error: string };

let loading: Promise<RuntimeLoad> | undefined;

/**
 * Load onnxruntime-node once per process. A dynamic import, so that importing this package never
 * fails even where the native binding cannot load; the failure becomes probe()'s reason instead.
 */
export function loadRuntime(): Promise<RuntimeLoad> {
  loading ??= import('onnxruntime-node').then(
    (module): RuntimeLoad => {
      const ort = ((module as unknown as { default?: OrtModule | undefined }).default ?? module) as OrtModule;
      return { ort, version: ort.env.versions.node ?? ort.env.versions.common ?? 'unknown' };
    },
    (error: unknown): RuntimeLoad => ({ error: error instanceof Error ? error.message.split('\n')[0]! : String(error) }),
  );
  return loading;
}

/** The loaded module. @throws Error naming why onnxruntime-node could not load. */
export async function requireRuntime(): Promise<OrtModule> {
  const loaded = await loadRuntime();
  if (!loaded.ort) throw new Error(`onnxruntime-node could not load: ${loaded.error}`);
  return loaded.ort;
}
