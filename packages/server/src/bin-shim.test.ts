// The installed command, as `npm start` and `npx hoard-server` run it: the shim starts through its
// own `#!/usr/bin/env -S node ...` line with the Node flags written there (see bin/hoard-server.js
// for why they matter), and servers spawned for tests and benches run with the same flags.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildServer, freePort, serverNodeFlags, spawnServer } from './testing/spawn-server.js';

const shim = join(import.meta.dirname, '..', 'bin', 'hoard-server.js');
const work = mkdtempSync(join(tmpdir(), 'hoard-shim-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The command line of a live process, argument by argument (Linux). */
const commandLine = (pid: number): string[] =>
  readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

describe('the hoard-server command', () => {
  buildServer();

  it('starts by its own first line, with the Node flags written there, and drains on SIGTERM', async () => {
    expect(serverNodeFlags).toContain('--max-semi-space-size=32');
    const port = await freePort();
    const child = spawn(shim, ['--data', join(work, 'direct'), '--port', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, DATABASE_URL: '', REDIS_URL: '', HOARD_LOG_LEVEL: 'warn' },
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      let healthy = false;
      for (let i = 0; i < 200 && !healthy; i++) {
        healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (!healthy) await new Promise((r) => setTimeout(r, 50));
      }
      expect(healthy).toBe(true);
      const argv = commandLine(child.pid!);
      expect(argv.slice(1, 1 + serverNodeFlags.length)).toEqual([...serverNodeFlags]);
      expect(argv).toContain(shim);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 30_000);

  it('is spawned for tests and benches with the same flags', async () => {
    const server = await spawnServer({ dataDir: join(work, 'spawned') });
    try {
      const argv = commandLine(server.process.pid!);
      for (const flag of serverNodeFlags) expect(argv).toContain(flag);
    } finally {
      await server.stop();
    }
  }, 30_000);
});
