// Test helpers for the CLI's end-to-end tests: a real hoard-server in a child process (its built
// dist/main.js with a temp data dir: the CLI may not import the server package), the CLI run
// in-process (runCli with captured stdio) or as the built bin (for kill -9 tests).
// Not part of the CLI proper: only *.test.ts files import it.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import pg from 'pg';
import { runCli } from '../cli.js';

export const repoRoot = join(import.meta.dirname, '..', '..', '..', '..');
export const cliMain = join(repoRoot, 'packages', 'cli', 'dist', 'main.js');
export const serverMain = join(repoRoot, 'packages', 'server', 'dist', 'main.js');

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

export interface RunningServer {
  url: string;
  databaseUrl: string;
  port: number;
  dataDir: string;
  process: ChildProcess;
  /** kill -9 */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts hoard-server on `dataDir` (and `port`, default a free one), on SQLite in `dataDir` unless
 * `databaseUrl` names a PostgreSQL database, with extra `env` (HOARD_* settings); resolves when
 * /healthz is 200.
 */
export async function startServer(
  dataDir: string,
  port?: number,
  databaseUrl = '',
  /** More environment (HOARD_* settings; fleet mode: HOARD_S3_*, REDIS_URL). */
  env: Record<string, string> = {},
): Promise<RunningServer> {
  const p = port ?? (await freePort());
  const child = spawn(
    process.execPath,
    [serverMain, '--data', dataDir, '--port', String(p), '--host', '127.0.0.1'],
    {
      // Redis only when asked (fleet tests): a server killed with -9 would leave part locks behind.
      env: { ...process.env, HOARD_LOG_LEVEL: 'warn', REDIS_URL: '', DATABASE_URL: databaseUrl, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = `http://127.0.0.1:${p}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hoard-server exited: ${stderr}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`hoard-server did not become healthy: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    databaseUrl,
    port: p,
    dataDir,
    process: child,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

/** Runs the CLI in-process with `env` (merged over nothing: pass what it needs). */
export async function runHoard(
  args: string[],
  env: Record<string, string | undefined>,
  options: { stdin?: Buffer; cwd?: string } = {},
): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (d: Buffer) => out.push(d));
  stderr.on('data', (d: Buffer) => err.push(d));
  const stdin = Readable.from(options.stdin ? [options.stdin] : []);
  const code = await runCli(args, { env, stdin, stdout, stderr, cwd: options.cwd ?? process.cwd() });
  const stdoutBytes = Buffer.concat(out);
  return {
    code,
    stdout: stdoutBytes.toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
    stdoutBytes,
  };
}

/** Spawns the built `hoard` bin. */
export function spawnHoard(
  args: string[],
  env: Record<string, string | undefined>,
  cwd?: string,
): ChildProcess {
  return spawn(process.execPath, [cliMain, ...args], {
    env: { PATH: process.env.PATH, ...env },
    cwd: cwd ?? process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Waits for a spawned process; resolves with its exit code and output. */
export function waitFor(
  child: ChildProcess,
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

/** A fresh PostgreSQL database for one test run under the server at `adminUrl`, and its disposal. */
export async function createPostgresDatabase(
  adminUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `hoard_test_${randomBytes(6).toString('hex')}`;
  const run = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
