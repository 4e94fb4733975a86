import { describe, expect, test, vi } from 'vitest';
import type { Availability, Backend, Model } from '@headstart/core';
import { HeadstartError, PluginError } from './errors.js';
import { Registry, getRegistry } from './registry.js';

/** A backend that implements the interface and records calls. */
class MockBackend implements Backend {
  readonly meta = { version: '1.0.0', description: 'mock' };
  probes = 0;
  constructor(
    readonly name: string,
    private readonly availability: Availability,
    private readonly fail?: Error,
  ) {}
  async probe(): Promise<Availability> {
    this.probes++;
    await new Promise((r) => setTimeout(r, 5));
    return this.availability;
  }
  async createModel(): Promise<Model> {
    throw this.fail ?? new Error('not in this test');
  }
}

const up = (engine: string): Availability => ({ available: true, engine, reasons: [`${engine} loads`] });
const down = (why: string): Availability => ({ available: false, reasons: [why] });

describe('Registry', () => {
  test('a higher priority replaces; a lower one is listed as shadowed; override replaces at equal priority', async () => {
    const registry = new Registry();
    registry.register('backend', 'fast', () => new MockBackend('fast', up('a')), { source: 'pkg-a' });
    expect((await registry.start('fast')).availability.engine).toBe('a');
    registry.register('backend', 'fast', () => new MockBackend('fast', up('c')), { source: 'pkg-c', priority: 1 });
    expect((await registry.start('fast')).availability.engine).toBe('c');
    registry.register('backend', 'fast', () => new MockBackend('fast', up('b')), { source: 'pkg-b', priority: 0 });
    expect(registry.list('backend').map((e) => `${e.source}:${e.status}`)).toEqual(['pkg-a:shadowed', 'pkg-c:active', 'pkg-b:shadowed']);
    registry.register('backend', 'fast', () => new MockBackend('fast', up('d')), { source: 'pkg-d', priority: 1, override: true });
    expect((await registry.start('fast')).availability.engine).toBe('d');
  });

  test('a second registration at equal priority throws naming both sources; the first stays', async () => {
    const registry = new Registry();
    const factory = (): Backend => new MockBackend('fast', up('a'));
    registry.register('backend', 'fast', factory, { source: 'pkg-a' });
    expect(() => registry.register('backend', 'fast', () => new MockBackend('fast', up('b')), { source: 'pkg-b' })).toThrow(
      'cannot register backend "fast" from pkg-b: pkg-a registered it at priority 0 already; register at a higher priority to replace it, or pass override: true',
    );
    // The same factory again (a module evaluated twice) is no conflict.
    registry.register('backend', 'fast', factory, { source: 'pkg-a' });
    expect(registry.list('backend').map((e) => `${e.source}:${e.status}`)).toEqual(['pkg-a:active']);
    expect((await registry.start('fast')).availability.engine).toBe('a');
  });

  test('a plugin must be registered under its own name', async () => {
    const registry = new Registry();
    registry.register('backend', 'fast', () => new MockBackend('quick', up('a')));
    await expect(registry.get('backend', 'fast')).rejects.toThrow(
      'backend registered as "fast" names itself "quick": register it under its own name',
    );
    await expect(registry.backend('fast')).rejects.toThrow(
      'no backend could start (fast: backend registered as "fast" names itself "quick": register it under its own name)',
    );
  });

  test('a failing probe is stamped once, with the original error as cause', async () => {
    const registry = new Registry();
    const boom = new Error('boom');
    const backend = new MockBackend('x', up('x'));
    backend.probe = async () => {
      throw boom;
    };
    registry.register('backend', 'x', () => backend);
    const error = await registry.start('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginError);
    expect(error).toMatchObject({ plugin: 'backend:x', hook: 'probe', message: '[backend:x] probe: boom', cause: boom });
    await expect(registry.backend('x')).rejects.toThrow(/^no backend could start \(x: \[backend:x\] probe: boom\)$/);
  });

  test('backends start lazily, once, even when asked for concurrently', async () => {
    const registry = new Registry();
    const backend = new MockBackend('lazy', up('x'));
    const factory = vi.fn(() => backend);
    registry.register('backend', 'lazy', factory);
    expect(factory).not.toHaveBeenCalled();
    const [a, b] = await Promise.all([registry.backend('lazy'), registry.backend('lazy')]);
    expect(a.backend).toBe(b.backend);
    expect(factory).toHaveBeenCalledTimes(1);
    expect(backend.probes).toBe(1);
  });

  test('without a name, the highest-priority available backend is chosen', async () => {
    const registry = new Registry();
    registry.register('backend', 'gpu', () => new MockBackend('gpu', down('no GPU here')), { priority: 10 });
    registry.register('backend', 'cpu', () => new MockBackend('cpu', up('cpu')), { priority: 0 });
    expect((await registry.backend()).backend.name).toBe('cpu');
  });

  test('when nothing can start, one error says why each candidate failed', async () => {
    const registry = new Registry();
    registry.register('backend', 'gpu', () => new MockBackend('gpu', down('no GPU here')), { priority: 10 });
    registry.register('backend', 'broken', () => {
      throw new Error('native module missing');
    });
    await expect(registry.backend()).rejects.toThrow(
      'no backend could start (gpu: no GPU here | broken: [backend:broken] factory: native module missing)',
    );
  });

  test('an unknown name lists what exists', async () => {
    const registry = new Registry();
    registry.register('strategy', 'full-retrain', () => ({
      name: 'full-retrain',
      meta: { version: '1', description: '' },
      options: {} as never,
      run: async () => ({}) as never,
    }));
    await expect(registry.get('strategy', 'frozen')).rejects.toThrow('unknown strategy "frozen"; available: full-retrain');
  });

  test('a plugin of the wrong shape is refused with what it lacks', async () => {
    const registry = new Registry();
    registry.register('backend', 'half', () => ({ name: 'half', meta: { version: '0', description: '' } }) as unknown as Backend);
    await expect(registry.get('backend', 'half')).rejects.toThrow('backend "half" is not a valid backend: missing probe, createModel');
  });

  test('errors thrown inside a plugin carry its name and hook; headstart errors pass through', async () => {
    const registry = new Registry();
    registry.register('backend', 'mock', () => new MockBackend('mock', up('x'), new Error('out of memory')));
    const backend = await registry.get('backend', 'mock');
    const error = await backend.createModel({ inputShape: [1], layers: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginError);
    expect(error).toMatchObject({ plugin: 'backend:mock', hook: 'createModel', message: '[backend:mock] createModel: out of memory' });
    expect((error as PluginError).cause).toBeInstanceOf(Error);
    registry.register('backend', 'picky', () => new MockBackend('picky', up('x'), new HeadstartError('BAD_INPUT', 'x.csv: bad')), {
      priority: 1,
    });
    await expect((await registry.get('backend', 'picky')).createModel({ inputShape: [1], layers: [] })).rejects.toThrow(/^x\.csv: bad$/);
  });

  test('names are checked', () => {
    expect(() => new Registry().register('backend', 'has space', () => new MockBackend('x', up('x')))).toThrow(
      'cannot register backend "has space": a name is letters, digits, . _ : -',
    );
  });

  test('one registry per process, even when a second copy of the module loads', async () => {
    const first = getRegistry();
    vi.resetModules();
    const copy = (await import('./registry.js?copy' as string)) as typeof import('./registry.js');
    expect(copy.getRegistry()).toBe(first);
    expect(copy.Registry).not.toBe(undefined);
  });

  test('registrations during attributeTo are credited to that source', async () => {
    const registry = new Registry();
    await registry.attributeTo('my-plugin', async () => registry.register('backend', 'x', () => new MockBackend('x', up('x'))));
    expect(registry.list('backend')[0]!.source).toBe('my-plugin');
  });
});
