import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, utimes, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { lockOutput } from './output-lock.js';

const noWarning = (message: string): void => {
  throw new Error(`unexpected: ${message}`);
};

test('a live holder is refused at once, naming its process; the lock is gone after release', async () => {
  const out = join(await mkdtemp(join(tmpdir(), 'headstart-lock-')), 'm.safetensors');
  const release = await lockOutput(out, noWarning);
  const started = Date.now();
  await expect(lockOutput(out, noWarning)).rejects.toThrow(
    `${out}: another headstart run (process ${process.pid}) is writing this checkpoint (lock ${out}.lock); wait for it, or choose another --out`,
  );
  expect(Date.now() - started).toBeLessThan(1000);
  await release();
  expect(existsSync(`${out}.lock`)).toBe(false);
  await (await lockOutput(out, noWarning))();
});

test('the lock of a process that died on this host is taken over at once', async () => {
  const out = join(await mkdtemp(join(tmpdir(), 'headstart-lock-')), 'm.safetensors');
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  await mkdir(`${out}.lock`);
  await writeFile(join(`${out}.lock`, 'owner.json'), JSON.stringify({ pid: Number(dead.stdout), host: hostname() }));
  const started = Date.now();
  const release = await lockOutput(out, noWarning);
  expect(Date.now() - started).toBeLessThan(1000);
  await release();
});

test('a lock that never names its holder is refused after a moment, not waited on', async () => {
  const out = join(await mkdtemp(join(tmpdir(), 'headstart-lock-')), 'm.safetensors');
  await mkdir(`${out}.lock`);
  await expect(lockOutput(out, noWarning)).rejects.toThrow(`${out}: another headstart run is writing this checkpoint`);
});

test('a held lock stays held across its refreshes: naming the holder does not make it look taken over', async () => {
  const out = join(await mkdtemp(join(tmpdir(), 'headstart-lock-')), 'm.safetensors');
  const lost: string[] = [];
  const release = await lockOutput(out, (message) => lost.push(message), undefined, { staleMs: 2000, updateMs: 1000 });
  await sleep(2500);
  expect(lost).toEqual([]);
  await release();
  expect(existsSync(`${out}.lock`)).toBe(false);
});

test('a stale lock of a process that died (its owner file inside) is taken over, not refused', async () => {
  const out = join(await mkdtemp(join(tmpdir(), 'headstart-lock-')), 'm.safetensors');
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  await mkdir(`${out}.lock`);
  await writeFile(join(`${out}.lock`, 'owner.json'), JSON.stringify({ pid: Number(dead.stdout), host: hostname() }));
  const old = new Date(Date.now() - 120_000);
  await utimes(`${out}.lock`, old, old);
  const release = await lockOutput(out, noWarning);
  await release();
  expect(existsSync(`${out}.lock`)).toBe(false);
});
