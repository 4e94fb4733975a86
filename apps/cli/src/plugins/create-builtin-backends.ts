import { getRegistry } from '@headstart/core';
import { OPTIONAL_BUILTINS } from './optional-builtins.js';

/**
 * Create the backends among `names` that an installed optional built-in registered (`tfjs`), with no
 * time limit: creating one loads its engine (TensorFlow.js, about a second of CPU), which is no part
 * of the probe that HEADSTART_PLUGIN_TIMEOUT_MS limits. A backend that fails to be created is left
 * for its probe to report; a third-party backend of the same name is left alone.
 */
export async function createBuiltinBackends(names: readonly string[]): Promise<void> {
  const registry = getRegistry();
  const ours = registry
    .list('backend')
    .filter((e) => e.status === 'active' && names.includes(e.name))
    .filter((e) => OPTIONAL_BUILTINS.some((b) => b.backend === e.name && b.package === e.source));
  await Promise.all(ours.map((e) => registry.get('backend', e.name).catch(() => undefined)));
}
