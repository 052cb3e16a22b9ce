// Test helpers for the CLI's end-to-end tests: the CLI run in-process (runCli with captured stdio)
// or as the built bin (for kill -9 tests). The real hoard-server they talk to (a child process on
// a temp data dir, SQLite or a throwaway PostgreSQL database) comes from @hoard/server/testing,
// the one place that starts it for tests. Not part of the CLI proper: only *.test.ts files import it.

import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../cli.js';

export const repoRoot = join(import.meta.dirname, '..', '..', '..', '..');
export const cliMain = join(repoRoot, 'packages', 'cli', 'dist', 'main.js');

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

/**
 * Runs the built bin with `args` (a get) and kills it with -9 once the file at `partialPath` (the
 * get's `.NAME.hoard-partial`) holds more than `minBytes`; resolves with how it ended.
 */
export async function killGetMidway(
  args: string[],
  env: Record<string, string | undefined>,
  cwd: string,
  partialPath: string,
  minBytes: number,
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  const child = spawnHoard(args, env, cwd);
  const exited = waitFor(child);
  for (;;) {
    const size = statSync(partialPath, { throwIfNoEntry: false })?.size ?? 0;
    if (size > minBytes || child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  child.kill('SIGKILL');
  return exited;
}
