import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

// Text runs cache their tokens in the user's cache folder by default: each test file (and every CLI it
// spawns, which inherits the environment) gets a folder of its own instead, removed when the file ends.
const cache = mkdtempSync(join(tmpdir(), 'headstart-test-cache-'));
process.env.HEADSTART_CACHE = cache;
afterAll(() => rmSync(cache, { recursive: true, force: true }));
