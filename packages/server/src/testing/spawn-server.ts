// The real hoard-server as a child process, for tests that must kill it (kill -9) or restart it on
// the same data directory: its built dist/main.js, a data dir, a port, SQLite or a PostgreSQL
// database of its own. The CLI's end-to-end tests use it too, through @hoard/server/testing.
// Used by tests only; nothing here is used by the running server.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** packages/server (the same from src/testing and from dist/testing). */
const packageDir = join(import.meta.dirname, '..', '..');
const repoRoot = join(packageDir, '..', '..');
export const serverMain = join(packageDir, 'dist', 'main.js');

/**
 * The Node flags the installed `hoard-server` runs with (from its shim's `#!/usr/bin/env -S node
 * ...` line, the one place they are written), so that spawned servers behave like deployed ones.
 */
export const serverNodeFlags: readonly string[] = (() => {
  const shebang = readFileSync(join(packageDir, 'bin', 'hoard-server.js'), 'utf8').split('\n')[0] ?? '';
  const match = /^#!\/usr\/bin\/env -S node(?<flags>( --[\w-]+(=\S+)?)*)$/.exec(shebang);
  if (!match) throw new Error(`unexpected first line in bin/hoard-server.js: ${shebang}`);
  return (match.groups?.flags ?? '').split(' ').filter(Boolean);
})();

/** Brings packages/server/dist up to date (`tsc -b`; a no-op when nothing changed). */
export function buildServer(): void {
  execFileSync(
    process.execPath,
    [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'packages/server'],
    { cwd: repoRoot, stdio: 'inherit' },
  );
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface SpawnedServer {
  /** e.g. `http://127.0.0.1:40123` */
  url: string;
  port: number;
  /** Where it keeps its blobs (and its SQLite file, without a database URL). */
  dataDir: string;
  /** Its PostgreSQL database; '' for SQLite. */
  databaseUrl: string;
  process: ChildProcess;
  /** What the server wrote to stderr so far. */
  stderr(): string;
  /** Sends SIGKILL now (synchronously) and resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (drain), resolves once the process is gone. */
  stop(): Promise<void>;
}

export interface SpawnServerOptions {
  dataDir: string;
  port?: number;
  /** A PostgreSQL database for this server; SQLite in dataDir when absent. */
  databaseUrl?: string | undefined;
  /** More environment (HOARD_*). */
  env?: Record<string, string>;
}

/** Starts `hoard-server` from dist/ and resolves once GET /healthz answers 200. */
export async function spawnServer(options: SpawnServerOptions): Promise<SpawnedServer> {
  const port = options.port ?? (await freePort());
  const child = spawn(
    process.execPath,
    [
      ...serverNodeFlags,
      serverMain,
      '--data',
      options.dataDir,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
    ],
    {
      env: {
        ...process.env,
        HOARD_LOG_LEVEL: 'warn',
        // Redis only when a test asks for it (like the database): a server killed with -9 would
        // otherwise leave its part locks in a Redis shared with unrelated tests.
        REDIS_URL: '',
        ...options.env,
        DATABASE_URL: options.databaseUrl ?? '',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`hoard-server exited before it was ready: ${stderr}`);
    }
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`hoard-server did not become healthy: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port,
    dataDir: options.dataDir,
    databaseUrl: options.databaseUrl ?? '',
    process: child,
    stderr: () => stderr,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
