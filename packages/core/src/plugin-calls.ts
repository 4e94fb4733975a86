import { HeadstartError, PluginError } from './errors.js';

/**
 * The plugin with every method wrapped so a failure carries the plugin's name and the hook
 * (Rollup's `logPluginError`). headstart's own user-facing errors (bad input) pass through
 * unchanged, so their one-line messages stay clean; anything else becomes a {@link PluginError}.
 */
export function wrapPluginCalls<T extends object>(plugin: T, label: string): T {
  return new Proxy(plugin, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return function wrapped(this: unknown, ...args: unknown[]) {
        const stamp = (error: unknown): never => {
          if (error instanceof HeadstartError) throw error;
          throw new PluginError(label, property, error);
        };
        try {
          const out: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          return out instanceof Promise ? out.catch(stamp) : out;
        } catch (error) {
          return stamp(error);
        }
      };
    },
  });
}
