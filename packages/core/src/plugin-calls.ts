import { HeadstartError, PluginError } from './errors.js';

/**
 * Hooks whose results are plugin objects too, and the prefix their own hooks take: a backend's
 * models and their trainers are the backend's code, so a failure in `trainer.step` is the backend's
 * (`backend:onnx trainer.step`), not the strategy's that happened to call it.
 */
const RETURNED_OBJECTS: Readonly<Record<string, string>> = { createModel: 'model', 'model.trainer': 'trainer' };

/**
 * Members that hold plugin objects rather than being hooks: a backend's format declarations, whose
 * `sniff` is the backend's code (`backend:x formats.onnx.sniff`). Each entry makes the wrapped value.
 */
const HELD_OBJECTS: Readonly<Record<string, (value: unknown, label: string) => unknown>> = {
  formats: (value, label) =>
    Array.isArray(value)
      ? value.map((format: unknown) =>
          format !== null && typeof format === 'object'
            ? wrapPluginCalls(format, label, `formats.${String((format as { name?: unknown }).name)}`)
            : format,
        )
      : value,
};

/** Hooks whose results are async iterables (a loader's streams): errors while iterating are the plugin's too. */
const RETURNED_ITERABLES: ReadonlySet<string> = new Set(['records', 'chunks']);

/**
 * The plugin with every method wrapped so a failure carries the plugin's name and the hook
 * (Rollup's `logPluginError`), with the original error as `cause`. Models a backend creates and
 * their trainers are wrapped the same way (hooks `model.predict`, `trainer.step`, …).
 * headstart's own errors pass through unchanged: user-facing ones (bad input) keep their one-line
 * message and code, and an error already stamped by an inner plugin call keeps that blame, so an
 * error is stamped once. Anything else becomes a {@link PluginError}.
 *
 * A Proxy, so optional members stay optional (`'stepMany' in trainer`) and `instanceof` still holds.
 * Each method is wrapped once and reused: a call costs one closure call and a try/catch (or a
 * promise `.catch`), which matters for `trainer.step`, called once per batch.
 * @param label the plugin as errors name it, `<kind>:<name>`.
 * @param prefix the object's name in hook names (`model`, `trainer`); none for the plugin itself.
 */
export function wrapPluginCalls<T extends object>(plugin: T, label: string, prefix?: string): T {
  // biome-ignore lint/complexity/noBannedTypes: any method of any plugin object is wrapped, whatever its signature
  const wrapped = new Map<string, { original: Function; call: Function }>();
  const held = new Map<string, { original: unknown; value: unknown }>();
  return new Proxy(plugin, {
    get(target, property) {
      // The target as receiver, so getters reading private (#) fields still work.
      const value: unknown = Reflect.get(target, property);
      if (typeof property !== 'string') return value;
      if (typeof value !== 'function') return prefix === undefined ? heldObject(target, property, value, label, held) : value;
      let cached = wrapped.get(property);
      if (cached?.original !== value) {
        cached = { original: value, call: stampCalls(value, target, label, prefix ? `${prefix}.${property}` : property) };
        wrapped.set(property, cached);
      }
      return cached.call;
    },
  });
}

/**
 * `value` wrapped when `property` holds plugin objects ({@link HELD_OBJECTS}), the same wrapper on
 * every read while the value stays the same. A frozen member is returned as it is, as a Proxy must.
 */
function heldObject(
  target: object,
  property: string,
  value: unknown,
  label: string,
  held: Map<string, { original: unknown; value: unknown }>,
): unknown {
  const wrap = HELD_OBJECTS[property];
  if (!wrap || value === null || typeof value !== 'object') return value;
  const own = Reflect.getOwnPropertyDescriptor(target, property);
  if (own && !own.configurable && !own.writable) return value;
  let cached = held.get(property);
  if (cached?.original !== value) {
    cached = { original: value, value: wrap(value, label) };
    held.set(property, cached);
  }
  return cached.value;
}

/** `method` bound to `target`, with its errors (thrown or rejected) stamped with `label` and `hook`. */
// biome-ignore lint/complexity/noBannedTypes: any method of any plugin object is wrapped, whatever its signature
function stampCalls(method: Function, target: object, label: string, hook: string): Function {
  const stamp = (error: unknown): never => {
    throw error instanceof HeadstartError ? error : new PluginError(label, hook, error);
  };
  const finish = resultWrapper(label, hook, stamp);
  return function stamped(...args: unknown[]): unknown {
    try {
      const out: unknown = method.apply(target, args);
      if (out instanceof Promise) return finish ? out.then(finish, stamp) : out.catch(stamp);
      return finish ? finish(out) : out;
    } catch (error) {
      return stamp(error);
    }
  };
}

/** What wraps a hook's result, when the result is itself plugin code (see {@link RETURNED_OBJECTS}). */
function resultWrapper(label: string, hook: string, stamp: (error: unknown) => never): ((out: unknown) => unknown) | undefined {
  const prefix = RETURNED_OBJECTS[hook];
  if (prefix) return (out) => (out !== null && typeof out === 'object' ? wrapPluginCalls(out, label, prefix) : out);
  if (RETURNED_ITERABLES.has(hook)) return (out) => (isAsyncIterable(out) ? stampIteration(out, stamp) : out);
  return undefined;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

/** The same items; an error while producing one is stamped. Stopping early still closes the source (`yield*`). */
async function* stampIteration<V>(source: AsyncIterable<V>, stamp: (error: unknown) => never): AsyncGenerator<V> {
  try {
    yield* source;
  } catch (error) {
    stamp(error);
  }
}
