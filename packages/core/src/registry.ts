import type { Backend, Availability } from './backend.js';
import type { DatasetLoader } from './data/dataset.js';
import { HeadstartError, PluginError } from './errors.js';
import { wrapPluginCalls } from './plugin-calls.js';
import type { AnyStrategy } from './strategy.js';

/** The kinds of plugin the registry holds. */
export type PluginKind = 'backend' | 'strategy' | 'loader';

interface PluginTypes {
  backend: Backend;
  strategy: AnyStrategy;
  loader: DatasetLoader;
}

/** How to register a plugin. */
export interface RegisterOptions {
  /**
   * Higher wins when two plugins claim one name; a lower one is kept as `shadowed` (listed, not used).
   * A second registration at equal priority throws, naming both (as onnxruntime's `registerBackend`
   * does), unless it passes `override: true` or is the same factory again.
   * Default 0; built-ins use 0 so that a third-party plugin registering the same name at 1 replaces them.
   */
  priority?: number | undefined;
  /** Replace an equal-priority registration of the same name on purpose. */
  override?: boolean | undefined;
  /** Package or path that registered it, shown by `headstart plugins`. */
  source?: string | undefined;
}

/** One registration, as `headstart plugins` lists it. */
export interface RegistryEntry<K extends PluginKind = PluginKind> {
  kind: K;
  name: string;
  priority: number;
  source: string;
  /** A later registration of the same name that lost to this one, or this one lost. */
  status: 'active' | 'shadowed';
  factory: () => PluginTypes[K] | Promise<PluginTypes[K]>;
}

interface BackendStart {
  backend: Backend;
  availability: Availability;
}

/** The process-wide registry of backends, strategies and data loaders. */
export class Registry {
  private readonly entries = new Map<PluginKind, Map<string, RegistryEntry[]>>();
  private readonly instances = new Map<PluginKind, Map<string, Promise<unknown>>>();
  private readonly backendStarts = new Map<string, Promise<BackendStart>>();
  private currentSource: string | undefined;

  /**
   * Run `load` (typically a plugin module's import) so that registrations made during it without a
   * `source` are attributed to `source`. Used by plugin discovery.
   */
  async attributeTo<T>(source: string, load: () => Promise<T>): Promise<T> {
    const previous = this.currentSource;
    this.currentSource = source;
    try {
      return await load();
    } finally {
      this.currentSource = previous;
    }
  }

  /**
   * Register a plugin factory under `name`, which must be the plugin's own `name` (checked when the
   * factory runs). The factory is called lazily, once.
   * @throws HeadstartError (REGISTRY_ERROR) for a malformed name, or a name already registered at
   * the same priority by another factory (the message names both sources).
   */
  register<K extends PluginKind>(
    kind: K,
    name: string,
    factory: () => PluginTypes[K] | Promise<PluginTypes[K]>,
    options: RegisterOptions = {},
  ): void {
    if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9._:-]*$/i.test(name)) {
      throw new HeadstartError('REGISTRY_ERROR', `cannot register ${kind} ${JSON.stringify(name)}: a name is letters, digits, . _ : -`);
    }
    if (typeof factory !== 'function') {
      throw new HeadstartError('REGISTRY_ERROR', `cannot register ${kind} "${name}": expected a factory function, got ${typeof factory}`);
    }
    const byName = this.kindMap(this.entries, kind);
    const list = (byName.get(name) ?? []) as RegistryEntry<K>[];
    const entry: RegistryEntry<K> = {
      kind,
      name,
      factory,
      priority: options.priority ?? 0,
      source: options.source ?? this.currentSource ?? 'unknown',
      status: 'active',
    };
    const current = list.find((e) => e.status === 'active');
    if (current && current.priority === entry.priority && options.override !== true) {
      if (current.factory === factory) return;
      throw new HeadstartError(
        'REGISTRY_ERROR',
        `cannot register ${kind} "${name}" from ${entry.source}: ${current.source} registered it at priority ${entry.priority} already; ` +
          'register at a higher priority to replace it, or pass override: true',
      );
    }
    const wins = !current || entry.priority >= current.priority;
    if (wins) {
      if (current) current.status = 'shadowed';
      this.kindMap(this.instances, kind).delete(name);
      if (kind === 'backend') this.backendStarts.delete(name);
    } else {
      entry.status = 'shadowed';
    }
    list.push(entry);
    byName.set(name, list as RegistryEntry[]);
  }

  /** Every registration, active and shadowed. */
  list(kind?: PluginKind): RegistryEntry[] {
    const kinds: PluginKind[] = kind ? [kind] : ['backend', 'strategy', 'loader'];
    return kinds.flatMap((k) => [...(this.entries.get(k)?.values() ?? [])].flat());
  }

  /** Names of the active registrations of a kind, sorted. */
  names(kind: PluginKind): string[] {
    return this.list(kind)
      .filter((e) => e.status === 'active')
      .map((e) => e.name)
      .sort();
  }

  /** The plugin registered under `name`, created on first use. */
  async get<K extends PluginKind>(kind: K, name: string): Promise<PluginTypes[K]> {
    const entry = this.active(kind, name);
    const made = this.kindMap(this.instances, kind);
    let instance = made.get(name) as Promise<PluginTypes[K]> | undefined;
    if (!instance) {
      instance = Promise.resolve()
        .then(() => entry.factory())
        .then((plugin) => wrapPluginCalls(checkPlugin(kind, name, plugin), `${kind}:${name}`))
        .catch((error: unknown) => {
          made.delete(name);
          throw error instanceof HeadstartError ? error : new PluginError(`${kind}:${name}`, 'factory', error);
        });
      made.set(name, instance);
    }
    return instance;
  }

  /**
   * A started backend: `name`, or when omitted the first available here in the order of `prefer`
   * (the caller's choice, e.g. the fastest), then of priority.
   * Probing happens once per backend (a shared promise). When nothing can start, one error lists
   * why each candidate failed.
   */
  async backend(name?: string, prefer: readonly string[] = []): Promise<BackendStart> {
    const rank = (n: string): number => (prefer.includes(n) ? prefer.indexOf(n) : prefer.length);
    const candidates = name
      ? [this.active('backend', name)]
      : this.list('backend')
          .filter((e) => e.status === 'active')
          .sort((a, b) => rank(a.name) - rank(b.name) || b.priority - a.priority);
    if (candidates.length === 0) throw new HeadstartError('REGISTRY_ERROR', 'no backend is registered');
    const failures: string[] = [];
    for (const entry of candidates) {
      try {
        const started = await this.start(entry.name);
        if (started.availability.available) return started;
        failures.push(`${entry.name}: ${started.availability.reasons.join('; ') || 'unavailable'}`);
      } catch (error) {
        failures.push(`${entry.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    throw new HeadstartError('NOT_SUPPORTED', `no backend could start (${failures.join(' | ')})`);
  }

  /** Probe a backend (once) without requiring it to be available; for `headstart doctor`. */
  start(name: string): Promise<BackendStart> {
    let started = this.backendStarts.get(name);
    if (!started) {
      // The backend is wrapped: a failing probe is already stamped `[backend:<name>] probe`.
      started = this.get('backend', name).then(async (backend) => ({ backend, availability: await backend.probe() }));
      started.catch(() => this.backendStarts.delete(name));
      this.backendStarts.set(name, started);
    }
    return started;
  }

  private active<K extends PluginKind>(kind: K, name: string): RegistryEntry<K> {
    const entry = this.entries
      .get(kind)
      ?.get(name)
      ?.find((e) => e.status === 'active');
    if (!entry) {
      const known = this.names(kind);
      throw new HeadstartError('REGISTRY_ERROR', `unknown ${kind} "${name}"; available: ${known.length ? known.join(', ') : '(none)'}`);
    }
    return entry as RegistryEntry<K>;
  }

  private kindMap<V>(maps: Map<PluginKind, Map<string, V>>, kind: PluginKind): Map<string, V> {
    let map = maps.get(kind);
    if (!map) maps.set(kind, (map = new Map()));
    return map;
  }
}

const REQUIRED_MEMBERS: Record<PluginKind, string[]> = {
  backend: ['name', 'meta', 'probe', 'createModel'],
  strategy: ['name', 'meta', 'options', 'run'],
  loader: ['name', 'meta', 'canLoad', 'load'],
};

/** The plugin a factory made, if it has the members of its kind and names itself as registered. */
function checkPlugin<K extends PluginKind>(kind: K, name: string, plugin: unknown): PluginTypes[K] {
  const missing = REQUIRED_MEMBERS[kind].filter((m) => plugin === null || typeof plugin !== 'object' || !(m in plugin));
  if (missing.length > 0) {
    throw new HeadstartError('REGISTRY_ERROR', `${kind} "${name}" is not a valid ${kind}: missing ${missing.join(', ')}`);
  }
  const own = (plugin as { name: unknown }).name;
  if (own !== name) {
    throw new HeadstartError(
      'REGISTRY_ERROR',
      `${kind} registered as "${name}" names itself ${JSON.stringify(own)}: register it under its own name`,
    );
  }
  return plugin as PluginTypes[K];
}

const REGISTRY_KEY = Symbol.for('headstart.registry.v1');

/**
 * The one registry of this process. It lives on `globalThis` under a `Symbol.for` key, so two copies
 * of @headstart/core (a plugin bundling its own) still share it.
 */
export function getRegistry(): Registry {
  const holder = globalThis as { [REGISTRY_KEY]?: Registry };
  return (holder[REGISTRY_KEY] ??= new Registry());
}

/** Register a backend factory in the process registry. */
export function registerBackend(name: string, factory: () => Backend | Promise<Backend>, options?: RegisterOptions): void {
  getRegistry().register('backend', name, factory, options);
}

/** Register a strategy factory in the process registry. */
export function registerStrategy(name: string, factory: () => AnyStrategy, options?: RegisterOptions): void {
  getRegistry().register('strategy', name, factory, options);
}

/** Register a data loader factory in the process registry. */
export function registerLoader(name: string, factory: () => DatasetLoader, options?: RegisterOptions): void {
  getRegistry().register('loader', name, factory, options);
}
