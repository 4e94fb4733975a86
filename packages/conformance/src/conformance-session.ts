import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Availability, Backend } from '@headstart/core';
import type { CheckContext, ConformanceCheck, Skip } from './check.js';
import { ConformanceFailure } from './conformance-failure.js';
import { Expectations, type Measurement } from './measurements.js';
import { DEFAULT_TOLERANCE, type BackendFactory, type ConformanceOptions } from './options.js';
import { createReferenceBackend } from './reference/reference-backend.js';

/** What one check did when it ran without failing. */
export interface CheckRun {
  measurements: Measurement[];
  /** Set when the check could not run here (a missing optional capability). */
  skipped?: string | undefined;
}

interface Prepared {
  backend: Backend;
  availability: Availability;
  reference?: Backend | undefined;
  float64: Backend;
  tempDir: string;
}

/**
 * The backends and the temporary directory one suite run shares. The backends are made and probed
 * on the first check, once; an unavailable backend fails every check with the reasons it gave.
 */
export class ConformanceSession {
  private prepared: Promise<Prepared> | undefined;

  constructor(
    private readonly makeBackend: BackendFactory,
    private readonly options: ConformanceOptions,
  ) {}

  /** The tested backend's name and engine, once known. */
  async describeBackend(): Promise<{ name: string; engine?: string | undefined }> {
    const { backend, availability } = await this.prepare();
    return availability.engine ? { name: backend.name, engine: availability.engine } : { name: backend.name };
  }

  /** Run one check. @throws whatever the check threw (a ConformanceFailure for a wrong value). */
  async run(check: ConformanceCheck): Promise<CheckRun> {
    const prepared = await this.prepare();
    const tempDir = join(prepared.tempDir, check.id);
    await mkdir(tempDir, { recursive: true });
    const expect = new Expectations(this.options.tolerance ?? DEFAULT_TOLERANCE);
    const context: CheckContext = {
      backend: prepared.backend,
      float64: prepared.float64,
      ...(prepared.reference ? { reference: prepared.reference } : {}),
      expect,
      tempDir,
      exportFormat: this.options.exportFormat ?? roundTripFormat(prepared.backend),
    };
    // biome-ignore lint/suspicious/noConfusingVoidType: a check that passes returns nothing; one that skips returns why
    const outcome: void | Skip = await check.run(context);
    return outcome ? { measurements: expect.measurements, skipped: outcome.skipped } : { measurements: expect.measurements };
  }

  /** Remove the temporary files. */
  async close(): Promise<void> {
    const prepared = await this.prepared?.catch(() => undefined);
    if (prepared) await rm(prepared.tempDir, { recursive: true, force: true });
  }

  private prepare(): Promise<Prepared> {
    this.prepared ??= (async () => {
      const [backend, availability] = await availableBackend(this.makeBackend, 'tested');
      const reference = this.options.reference ? (await availableBackend(this.options.reference, 'reference'))[0] : undefined;
      const tempDir = await mkdtemp(join(tmpdir(), 'headstart-conformance-'));
      return { backend, availability, float64: createReferenceBackend(), tempDir, ...(reference ? { reference } : {}) };
    })();
    return this.prepared;
  }
}

async function availableBackend(make: BackendFactory, role: string): Promise<[Backend, Availability]> {
  const backend = await make();
  const availability = await backend.probe();
  if (!availability.available) {
    throw new ConformanceFailure(
      `the ${role} backend "${backend.name}" is not available here: ${availability.reasons.join('; ') || 'no reason given'}`,
    );
  }
  return [backend, availability];
}

/** The first format the backend declares it both exports and imports, else its name (backends that declare none). */
function roundTripFormat(backend: Backend): string {
  return backend.formats?.find((format) => format.export && format.import)?.name ?? backend.name;
}
